// What is open of a session's ad breaks, ads, chapters and player states, and
// the sequence rules of spec §6 and §11 that decide whether an application's
// call is accepted and what must be closed before it.
//
// Bookkeeping only: it names event types; PlaybackTracker makes, stamps and
// sends the events.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "event.h"

namespace mediaanalytics {

// The answer to one call: accepted or not (with the reason, one sentence),
// and the events that must go out before the call's own, in order (the
// closings the spec implies).
struct MarkerVerdict {
  bool accepted = true;
  std::string reason;
  std::vector<EventType> closes;

  static MarkerVerdict reject(std::string why) {
    MarkerVerdict verdict;
    verdict.accepted = false;
    verdict.reason = std::move(why);
    return verdict;
  }
};

class ContentMarkers {
 public:
  // §11: only the first 10 distinct states of a session are kept.
  static constexpr std::size_t kMaxStates = 10;

  // Each checks the call against what is open and, when accepted, records it
  // (the caller then sends `closes` and the call's own event).

  // A break while one is open closes its ad (adSkip) and the break first.
  MarkerVerdict ad_break_start();
  // Only inside a break (§6 #3); an ad still open is completed first (§6 #5:
  // the previous ad's close and the next adStart go back to back).
  MarkerVerdict ad_start();
  MarkerVerdict ad_complete();
  MarkerVerdict ad_skip();
  // An ad still open is skipped first (it did not report its end).
  MarkerVerdict ad_break_complete();
  // §6 #7: chapters never overlap; one that is open must be closed first.
  MarkerVerdict chapter_start();
  MarkerVerdict chapter_complete();
  MarkerVerdict chapter_skip();
  // A state cannot start twice nor end when not active; at most kMaxStates
  // distinct names per session.
  MarkerVerdict state_start(const std::string &name);
  MarkerVerdict state_end(const std::string &name);

  // The closings before a sessionComplete (`completed`: the content reached
  // its end, so what is open completed) or a sessionEnd (skipped), in order:
  // the ad, the break, the chapter. Records them.
  std::vector<EventType> close_all(bool completed);

  // A new session (a resume, a new viewing): nothing is open on the back
  // end any more; the active states stay active and are to be sent again.
  void new_session();
  // The player states active now, in the order they started.
  const std::vector<std::string> &active_states() const { return active_; }

  bool in_break() const { return in_break_; }
  bool in_ad() const { return in_ad_; }
  // §6 #4: a break is open and its first ad has not started: nothing else
  // may be sent.
  bool awaiting_ad() const { return in_break_ && !in_ad_ && !ad_seen_in_break_; }
  bool chapter_open() const { return chapter_open_; }
  // Whether a break was ever opened in this session before the first play
  // (the pre-roll) — set by the tracker.
  bool break_seen() const { return break_seen_; }

 private:
  bool in_break_ = false;
  bool in_ad_ = false;
  bool ad_seen_in_break_ = false;
  bool chapter_open_ = false;
  bool break_seen_ = false;
  std::vector<std::string> active_;  // active states, in start order
  std::vector<std::string> known_;   // distinct states of the session
};

}  // namespace mediaanalytics
