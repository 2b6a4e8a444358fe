// Session-level checks that the real back end cannot make: it validates one
// request at a time, while these look at the sequence of a whole session.
//
// The checker is pure: it sees request bodies in arrival order and answers
// findings. It never rejects anything (the schemas do that); findings are
// advice that the collector records next to the events they concern.
#pragma once

#include <json-glib/json-glib.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace collector {

struct Finding {
  // Stable, documented identifier (docs/collector.md), e.g. "ts-not-increasing".
  std::string code;
  // What is wrong and what the client should do instead.
  std::string message;
};

struct CheckerOptions {
  // Longest allowed gap between consecutive events' playerTime.ts, per the
  // ping rules (spec §7): 10 s on main content, 1 s inside an ad ...
  int64_t main_ping_ms = 10000;
  int64_t ad_ping_ms = 1000;
  // ... plus this much slack for timer jitter and network delay.
  int64_t gap_slack_ms = 2000;
};

class SessionChecker {
 public:
  explicit SessionChecker(const CheckerOptions &options = {});

  // The checks that look at one request alone and need no session: params on
  // ping, QoE placement, custom metadata and values out of range. `body` is the
  // parsed request body (any JSON value; a non-object yields no findings). For
  // requests that belong to no open session (a rejected sessionStart, an event
  // to an unknown or expired session); observe() runs them too.
  static std::vector<Finding> check_request(JsonNode *body);

  // One request of this session, in arrival order. `body` is the parsed
  // request body (any JSON value; a non-object yields no findings).
  // `accepted` says whether the collector accepted it (schema-valid):
  // rejected requests never reached the back end, so they get only
  // check_request()'s findings, not the sequence checks. `to_sessions_endpoint`
  // is true for the request that opened the session.
  std::vector<Finding> observe(JsonNode *body, bool accepted, bool to_sessions_endpoint);

  // The session is over (sessionEnd, expiry, or the collector shutting down):
  // what was left open. Calling it again yields nothing.
  std::vector<Finding> close();

 private:
  // Sequence checks of an accepted request, in the order their findings appear.
  void observe_sequence(JsonObject *event, bool to_sessions_endpoint,
                        std::vector<Finding> &findings);
  void begin_session(JsonObject *event, std::optional<int64_t> ts);
  void check_timing(const std::string &type, bool opens_session,
                    std::optional<int64_t> ts, std::vector<Finding> &findings);
  void check_playhead(const std::string &type, std::optional<double> playhead,
                      std::vector<Finding> &findings) const;
  void apply_event(const std::string &type, JsonObject *event,
                   std::vector<Finding> &findings);
  void check_play_before_preroll(const std::string &type, std::vector<Finding> &findings);
  void report_left_open(const std::string &when, std::vector<Finding> &findings);
  // Bit set of what is open (ad break, ad, chapter); 0 when nothing is.
  unsigned open_mask() const;

  CheckerOptions options_;
  bool closed_ = false;  // close() was called

  // From the sessionStart that opened the session.
  bool started_ = false;
  int64_t start_ts_ = 0;
  bool live_ = false;
  std::optional<double> media_length_;

  // The largest playerTime.ts of the accepted events so far: ts must stay
  // strictly increasing across the session (spec §2), and gaps are measured
  // from it, so one event sent with a ts from the past moves nothing.
  std::optional<int64_t> latest_ts_;
  bool completed_ = false;  // sessionComplete seen: pings may stop
  bool ended_ = false;      // sessionEnd seen: the back end drops the rest

  // What the client has open.
  bool in_break_ = false;
  bool break_awaits_ad_ = false;  // adBreakStart seen, its first adStart not yet
  bool in_ad_ = false;
  bool in_chapter_ = false;
  bool left_open_reported_ = false;  // reset whenever open_mask() changes

  // Pre-roll bookkeeping (finding play-before-preroll).
  bool had_break_ = false;
  bool preroll_awaits_ad_ = false;
  bool content_played_ = false;
  bool preroll_reported_ = false;
};

}  // namespace collector
