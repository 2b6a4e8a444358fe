// What a player does, turned into the Collection API events that report it
// (spec §4–§8): the session state machine of one element.
//
// It knows nothing of GStreamer. The element tells it what happened (the
// intent to play, data flowing, a pause, buffering, a seek, EOS, an error, a
// stop), with the time it happened and the playhead at that moment, and gets
// back the events to send, stamped and in order. Time is always passed in, so
// that a test can drive it with made-up clocks. Not thread-safe: the element
// calls it under one lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "content-markers.h"
#include "event-clock.h"
#include "event.h"

namespace mediaanalytics {

// When something happened: monotonic time (for the stall and idle timers) and
// UTC wall time (for playerTime.ts and the live playhead), in milliseconds.
struct Instant {
  int64_t monotonic_ms = 0;
  int64_t utc_ms = 0;
};

// What the sessionStart of a viewing says (all its params but media.resume).
struct SessionInfo {
  Params params;
  CustomMetadata custom;  // customMetadata of the sessionStart (spec §10)
  // Live or linear content: every playhead is the UTC second of the day of
  // the event's ts (spec §8, §16 #3), whatever the stream position is.
  bool live = false;
  // media.length: a VOD playhead is kept below it (spec §8: [0, length)).
  double length = 0.0;
};

struct TrackerOptions {
  // Data not flowing in PLAYING for this long is a stall (bufferStart); 0: off.
  int64_t stall_threshold_ms = 3000;
  // A pause, buffering, a stall, a seek or a start without data longer than
  // this (or no data for this long after an error) ends the session
  // (sessionEnd); it resumes as a new session (media.resume) when playback
  // does.
  int64_t idle_timeout_ms = 30 * 60 * 1000;
  // The first play of a session waits this long for a pre-roll break that
  // the application announces at the start (spec §6 #2: no play before the
  // pre-roll's adStart); 0: no wait.
  int64_t preroll_wait_ms = 250;
};

// What one observation gives: the events to submit in this order, and whether
// a session was opened (start its ping grid, anchored now) or closed (stop it).
struct TrackerStep {
  // Which ping grid runs from now on (spec §7): unchanged, the main one
  // (anchored at the sessionStart), or the ad one (anchored now, at
  // ad-ping-interval).
  enum class PingGrid { kUnchanged, kMain, kAd };

  std::vector<Event> events;
  bool session_opened = false;
  bool session_closed = false;
  PingGrid ping_grid = PingGrid::kUnchanged;
};

// The answer to an application's call: accepted (and what to send), or
// rejected with the reason (one sentence) and nothing sent.
struct CallResult {
  bool accepted = true;
  std::string reason;
  TrackerStep step;
};

class PlaybackTracker {
 public:
  // Where the viewing is. kStarting: sessionStart sent, no play yet (the
  // initial load counts as time to start, not as buffering).
  enum class Activity { kStarting, kPlaying, kPaused, kBuffering, kSeeking };
  enum class Phase {
    kNone,       // no session yet (or after a stop)
    kOpen,       // sessionStart sent; neither completed nor ended
    kExpired,    // ended by idle_timeout: resumes at the next play
    kCompleted,  // sessionComplete sent (the session stays open on the back end)
    kEnded,      // sessionEnd sent after a stop
  };

  explicit PlaybackTracker(TrackerOptions options = {});

  // A new playback of the element (READY→PAUSED): a session ended in the
  // previous one is history; the next intent opens a new one.
  void new_playback() {
    if (phase_ == Phase::kEnded)
      phase_ = Phase::kNone;
  }
  // Takes new options, e.g. for the next playback; the deadlines of a
  // running one follow them at once.
  void set_options(const TrackerOptions &options) { options_ = options; }

  // Every playhead argument is the stream position in seconds (VOD meaning);
  // the tracker turns it into the reported one (clamped to [0, length) for
  // VOD, second of the day for live).

  // The intent to play (the pipeline was asked to go to PLAYING, at `at`):
  // opens the session when none is open (the first time, after a stop);
  // `info` is only read then. The element need not be PLAYING yet (an
  // application may hold it in PAUSED for the initial load).
  TrackerStep session_requested(const Instant &at, const SessionInfo &info,
                                double playhead);
  // The element is in PLAYING: data that flows now is seen by the viewer.
  void entered_playing() { in_playing_ = true; }
  // Both: the element goes to PLAYING with the intent to play.
  TrackerStep play_requested(const Instant &now, const SessionInfo &info,
                             double playhead);
  bool session_is_open() const { return phase_ == Phase::kOpen; }
  // Whether session_requested() would open a session now.
  bool wants_session() const { return phase_ == Phase::kNone || phase_ == Phase::kEnded; }
  // PLAYING→PAUSED asked by the application (not on the way to a stop):
  // pauseStart if the viewer was watching. A pause while buffering or
  // seeking is part of those, not a pause.
  TrackerStep paused(const Instant &now, double playhead);
  // Data passed while play_due(): play (after a resume sessionStart if the
  // session had expired, after a new sessionStart if it had completed and
  // a seek brought the viewer back).
  TrackerStep data_flowing(const Instant &now, double playhead);
  // A BUFFERING message (not from a live source). Below 100 % while watching:
  // bufferStart. 100 %: the next data in PLAYING ends it with play.
  TrackerStep buffering(const Instant &now, int percent, double playhead);
  // A seek was asked, or upstream flushed: pauseStart while watching; play
  // when it lands (seek_landed() then data in PLAYING).
  TrackerStep seek_started(const Instant &now, double playhead);
  // The seek's new segment arrived, or the seek failed (then data of the old
  // segment goes on): the next data in PLAYING is the landing.
  void seek_landed();
  // End of stream: sessionComplete, once, at a playhead below the length;
  // nothing after an error (the failing elements' EOS is no completion).
  TrackerStep end_of_stream(const Instant &now, double playhead);
  // This stream ended while others of the pipeline may play on: no data is
  // coming, which is no stall. Until the next seek or session.
  void stream_ended() { stream_ended_ = true; }
  // An ERROR message: an error event with media.errorId and
  // media.errorSource. The session stays open (spec §5.1); the stop that
  // follows ends it. No stall is reported after an error.
  TrackerStep error(const Instant &now, double playhead, const std::string &error_id,
                    const std::string &error_source);
  // The element stops (PAUSED→READY, dispose) or is removed: sessionEnd if the
  // session is open. Afterwards a play_requested() opens a new session.
  TrackerStep stopped(const Instant &now, double playhead);
  // The ping grid is due: a ping while the session is open.
  TrackerStep ping(const Instant &now, double playhead);
  // The time next_deadline_ms() named has come: `last_data_ms` is the
  // monotonic time of the latest data. A stall (bufferStart) or an idle
  // expiry (sessionEnd), or nothing but a later deadline.
  TrackerStep deadline_reached(const Instant &now, int64_t last_data_ms, double playhead);
  // Whether deadline_reached() would do anything at `now` with data seen
  // until `last_data_ms` (which it records): a caller can skip finding the
  // playhead when the data went on and only a later deadline is left.
  bool deadline_due(const Instant &now, int64_t last_data_ms);

  // The application's calls (action signals, in-band custom events), with
  // params already checked by check_event_params(). All need an open
  // session. During a break the playhead stays where the content was (§8);
  // pings in an ad follow the ad grid; nothing goes between adBreakStart and
  // its adStart (§6 #4); a pre-roll break holds the first play until it
  // completes (§6 #2). What the spec implies is closed first (an ad by the
  // next adStart, a break by the next adBreakStart, everything open by the
  // session's end).
  CallResult ad_break_start(const Instant &now, Params params, double playhead);
  CallResult ad_start(const Instant &now, Params params, CustomMetadata custom,
                      double playhead);
  CallResult ad_complete(const Instant &now, double playhead);
  CallResult ad_skip(const Instant &now, double playhead);
  CallResult ad_break_complete(const Instant &now, double playhead);
  CallResult chapter_start(const Instant &now, Params params, CustomMetadata custom,
                           double playhead);
  CallResult chapter_complete(const Instant &now, double playhead);
  CallResult chapter_skip(const Instant &now, double playhead);
  // statesUpdate with one state entered or left (§11). The active states are
  // sent again after every new sessionStart.
  CallResult state_start(const Instant &now, const std::string &name, double playhead);
  CallResult state_end(const Instant &now, const std::string &name, double playhead);
  // An error the application reports (error event; the session stays open).
  CallResult track_error(const Instant &now, const std::string &error_id,
                         const std::string &error_source, double playhead);
  // The application ends the session (sessionEnd, after closing what is
  // open); a new one opens at the next stop and play.
  CallResult end_session(const Instant &now, double playhead);

  const ContentMarkers &markers() const { return markers_; }

  // Quality of experience (spec §9.11), sent in qoeData on the next play,
  // pauseStart, bufferStart or error when changed: frames the sinks dropped
  // so far, the stream's frame rate, its bitrate in bps. timeToStart (ms
  // from the sessionStart to the first play) is added by the tracker.
  void set_dropped_frames(int64_t frames) { qoe_now_.dropped_frames = frames; }
  void set_frames_per_second(int64_t fps) { qoe_now_.frames_per_second = fps; }
  void set_bitrate(int64_t bps) { qoe_now_.bitrate = bps; }
  // The stream's bitrate became `bps` (a variant switch, new caps or tags):
  // bitrateChange with it in qoeData, while content plays, when it differs
  // from the last one reported by more than 10 % and the last bitrateChange
  // is at least 2 s old (a noisy value must not flood the session); a
  // change held back goes out with the next event that takes qoeData.
  TrackerStep bitrate_changed(const Instant &now, int64_t bps, double playhead);

  // Whether the next data in PLAYING gives a play (see data_flowing()).
  bool play_due() const;
  // The monotonic time at which deadline_reached() wants to run; -1: none.
  int64_t next_deadline_ms() const;
  Phase phase() const { return phase_; }
  // An error was reported in this session.
  bool errored() const { return errored_; }
  Activity activity() const { return activity_; }

  // The playhead that goes on the wire for `stream_playhead` at `utc_ms`.
  double reported_playhead(int64_t utc_ms, double stream_playhead) const;

 private:
  Event make(const Instant &now, EventType type, double playhead);
  void attach_qoe(Event &event);
  // Adds a playback event (play, pauseStart, bufferStart, ping) unless a
  // break awaits its first ad (§6 #4: nothing in between).
  void add_playback(TrackerStep &step, const Instant &now, EventType type,
                    double playhead);
  void add_closes(TrackerStep &step, const Instant &now,
                  const std::vector<EventType> &closes, double playhead);
  TrackerStep open(const Instant &now, double playhead, bool resume);
  TrackerStep close(const Instant &now, EventType type, double playhead, bool completed);
  void enter(Activity activity, const Instant &now);
  CallResult call(const Instant &now, const MarkerVerdict &verdict, EventType type,
                  double playhead);
  bool first_play_waits(const Instant &now) const;
  TrackerStep release_held_play();

  TrackerOptions options_;
  EventClock clock_;
  SessionInfo info_;
  Phase phase_ = Phase::kNone;
  Activity activity_ = Activity::kStarting;
  bool in_playing_ = false;     // the element is in PLAYING
  bool buffering_low_ = false;  // the latest BUFFERING was below 100 %
  bool seek_landed_ = false;    // kSeeking: the new segment is there
  bool replay_ = false;         // kCompleted: a seek brings the viewer back
  bool errored_ = false;        // an error was reported in this session
  bool stream_ended_ = false;   // stream_ended(): no stall detection
  int64_t idle_since_ms_ = 0;   // monotonic start of the pause or stall
  int64_t last_data_ms_ = 0;    // monotonic time of the latest data seen
  int64_t opened_ms_ = 0;       // monotonic time of the sessionStart
  // The first play, waiting up to preroll_wait for a pre-roll break: the
  // viewer watches from `at` (the play is stamped then), but the event goes
  // out only when the wait ends or anything else is reported, whichever
  // comes first; a pre-roll drops it.
  struct HeldPlay {
    Instant at;
    double playhead = 0.0;
  };
  std::optional<HeldPlay> held_play_;
  ContentMarkers markers_;
  QoeData qoe_now_;                      // the latest values
  QoeData qoe_sent_;                     // what went out in this session
  int64_t start_ts_ = 0;                 // the sessionStart's ts
  int64_t last_bitrate_change_ms_ = -1;  // monotonic, of this session
  bool content_started_ = false;
  double break_playhead_ = 0.0;  // the content position when the break began
};

const char *tracker_phase_name(PlaybackTracker::Phase phase);
const char *tracker_activity_name(PlaybackTracker::Activity activity);

}  // namespace mediaanalytics
