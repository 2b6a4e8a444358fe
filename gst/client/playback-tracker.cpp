#include "playback-tracker.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace mediaanalytics {

namespace {

constexpr int64_t kMsPerDay = 86400 * 1000;

// How far below media.length a VOD playhead at or past the end is put: the
// spec's range is [0, length), and a millisecond is below any precision a
// report shows.
constexpr double kEndMargin = 0.001;

void append(TrackerStep &into, TrackerStep &&from) {
  for (Event &event : from.events)
    into.events.push_back(std::move(event));
  into.session_opened = into.session_opened || from.session_opened;
  into.session_closed = into.session_closed || from.session_closed;
  if (from.ping_grid != TrackerStep::PingGrid::kUnchanged)
    into.ping_grid = from.ping_grid;
}

CallResult rejected(std::string why) {
  CallResult result;
  result.accepted = false;
  result.reason = std::move(why);
  return result;
}

// §6 #4: between adBreakStart and its first adStart nothing else goes out.
CallResult between_break_and_ad() {
  return rejected(
      "nothing may go between adBreakStart and its first adStart (spec §6 #4); call "
      "ad-start first");
}

CallResult no_session() {
  return rejected("no session is open (before the intent to play, or after it ended)");
}

}  // namespace

PlaybackTracker::PlaybackTracker(TrackerOptions options) : options_(options) {}

double PlaybackTracker::reported_playhead(int64_t utc_ms, double stream_playhead) const {
  if (info_.live) {
    // The UTC second of the day: it wraps from 86399.999 to 0 at midnight,
    // which the back end reads as the next day, not as a seek.
    const int64_t of_day = ((utc_ms % kMsPerDay) + kMsPerDay) % kMsPerDay;
    return static_cast<double>(of_day) / 1000.0;
  }
  if (!std::isfinite(stream_playhead) || stream_playhead < 0.0)
    return 0.0;
  // Milliseconds are finer than any report; whole ones also keep a tiny
  // position from reaching the wire in exponent form (see wire_number()).
  const double playhead = std::round(stream_playhead * 1000.0) / 1000.0;
  if (info_.length > 0.0 && playhead >= info_.length)
    return std::max(0.0, info_.length - kEndMargin);
  return playhead;
}

Event PlaybackTracker::make(const Instant &now, EventType type, double playhead) {
  Event event;
  event.type = type;
  event.ts_ms = clock_.stamp(now.utc_ms);
  // §8: during a break the playhead stays at the content position.
  event.playhead =
      reported_playhead(event.ts_ms, markers_.in_break() ? break_playhead_ : playhead);
  attach_qoe(event);
  return event;
}

void PlaybackTracker::attach_qoe(Event &event) {
  // §5, §9.11: only these events take qoeData (the others' schemas reject
  // it); each value goes out when it changed since it was last sent.
  switch (event.type) {
    case EventType::kPlay:
    case EventType::kPauseStart:
    case EventType::kBufferStart:
    case EventType::kError:
    case EventType::kBitrateChange:
      break;
    default:
      return;
  }
  auto changed = [](std::optional<int64_t> &sent, const std::optional<int64_t> &now,
                    std::optional<int64_t> &out) {
    if (now && now != sent) {
      out = now;
      sent = now;
    }
  };
  changed(qoe_sent_.dropped_frames, qoe_now_.dropped_frames, event.qoe.dropped_frames);
  changed(qoe_sent_.frames_per_second, qoe_now_.frames_per_second,
          event.qoe.frames_per_second);
  changed(qoe_sent_.bitrate, qoe_now_.bitrate, event.qoe.bitrate);
  // The time from the intent (sessionStart) to the first play of content.
  if (event.type == EventType::kPlay && !content_started_) {
    event.qoe.time_to_start = std::max<int64_t>(0, event.ts_ms - start_ts_);
    content_started_ = true;
  }
}

void PlaybackTracker::add_playback(TrackerStep &step, const Instant &now, EventType type,
                                   double playhead) {
  if (!markers_.awaiting_ad())
    step.events.push_back(make(now, type, playhead));
}

void PlaybackTracker::add_closes(TrackerStep &step, const Instant &now,
                                 const std::vector<EventType> &closes, double playhead) {
  for (EventType type : closes)
    step.events.push_back(make(now, type, playhead));
}

TrackerStep PlaybackTracker::close(const Instant &now, EventType type, double playhead,
                                   bool completed) {
  TrackerStep step = release_held_play();
  const bool in_ad = markers_.in_ad();
  // The content position holds for the break's closings (§8), and the
  // session ends where the content was.
  if (markers_.in_break())
    playhead = break_playhead_;
  add_closes(step, now, markers_.close_all(completed), playhead);
  if (in_ad)
    step.ping_grid = TrackerStep::PingGrid::kMain;
  step.events.push_back(make(now, type, playhead));
  step.session_closed = true;
  return step;
}

void PlaybackTracker::enter(Activity activity, const Instant &now) {
  // The idle time runs from the moment the viewer stopped watching; moving
  // between pause, buffering and seeking does not restart it.
  const bool was_watching =
      activity_ == Activity::kPlaying || activity_ == Activity::kStarting;
  if (activity != Activity::kPlaying && was_watching)
    idle_since_ms_ = now.monotonic_ms;
  activity_ = activity;
}

TrackerStep PlaybackTracker::open(const Instant &now, double playhead, bool resume) {
  TrackerStep step;
  Event start = make(now, EventType::kSessionStart, playhead);
  start.params = info_.params;
  start.custom = info_.custom;
  if (resume)
    start.params.set("media.resume", true);
  start_ts_ = start.ts_ms;
  last_bitrate_change_ms_ = -1;
  content_started_ = false;
  qoe_sent_ = QoeData();  // a new session hears every value again
  step.events.push_back(std::move(start));
  step.session_opened = true;
  markers_.new_session();
  // §11: states do not carry over; those still active are sent again.
  if (!markers_.active_states().empty()) {
    Event states = make(now, EventType::kStatesUpdate, playhead);
    states.states_start = markers_.active_states();
    step.events.push_back(std::move(states));
  }
  opened_ms_ = now.monotonic_ms;
  held_play_.reset();
  phase_ = Phase::kOpen;
  activity_ = Activity::kStarting;
  stream_ended_ = false;
  // A start that never gets data is idle too: the back end would close it
  // after 30 min without playhead movement.
  idle_since_ms_ = now.monotonic_ms;
  seek_landed_ = false;
  replay_ = false;
  errored_ = false;
  return step;
}

TrackerStep PlaybackTracker::session_requested(const Instant &at, const SessionInfo &info,
                                               double playhead) {
  if (!wants_session())
    return {};
  info_ = info;
  return open(at, playhead, false);
}

TrackerStep PlaybackTracker::play_requested(const Instant &now, const SessionInfo &info,
                                            double playhead) {
  entered_playing();
  return session_requested(now, info, playhead);
}

TrackerStep PlaybackTracker::paused(const Instant &now, double playhead) {
  in_playing_ = false;
  TrackerStep step = release_held_play();
  if (activity_ == Activity::kPlaying && phase_ == Phase::kOpen)
    add_playback(step, now, EventType::kPauseStart, playhead);
  // Buffering and seeking go on through the application's pause; before the
  // first play there is nothing to pause yet, but the idle time runs.
  if (activity_ == Activity::kPlaying || activity_ == Activity::kStarting)
    enter(Activity::kPaused, now);
  return step;
}

bool PlaybackTracker::play_due() const {
  if (!in_playing_ || buffering_low_ || activity_ == Activity::kPlaying)
    return false;
  if (activity_ == Activity::kSeeking && !seek_landed_)
    return false;
  // §6 #2: the content starts after the pre-roll (adBreakComplete plays it).
  if (activity_ == Activity::kStarting && markers_.in_break())
    return false;
  return phase_ == Phase::kOpen || phase_ == Phase::kExpired ||
         (phase_ == Phase::kCompleted && replay_);
}

TrackerStep PlaybackTracker::data_flowing(const Instant &now, double playhead) {
  last_data_ms_ = std::max(last_data_ms_, now.monotonic_ms);
  if (!play_due())
    return {};
  TrackerStep step;
  if (phase_ == Phase::kExpired) {
    step = open(now, playhead, true);
  } else if (phase_ == Phase::kCompleted) {
    step = open(now, playhead, false);
  } else if (first_play_waits(now)) {
    // Watching from now on; only the event waits (see held_play_).
    held_play_ = HeldPlay{now, playhead};
    activity_ = Activity::kPlaying;
    seek_landed_ = false;
    return step;
  }
  add_playback(step, now, EventType::kPlay, playhead);
  activity_ = Activity::kPlaying;
  seek_landed_ = false;
  return step;
}

TrackerStep PlaybackTracker::release_held_play() {
  TrackerStep step;
  if (held_play_) {
    add_playback(step, held_play_->at, EventType::kPlay, held_play_->playhead);
    held_play_.reset();
  }
  return step;
}

bool PlaybackTracker::first_play_waits(const Instant &) const {
  // The wait runs from the first data, not from the sessionStart: a session
  // stamped at the intent may open after a long initial load.
  return activity_ == Activity::kStarting && options_.preroll_wait_ms > 0 &&
         !markers_.break_seen();
}

TrackerStep PlaybackTracker::buffering(const Instant &now, int percent, double playhead) {
  if (percent >= 100) {
    buffering_low_ = false;
    return {};
  }
  TrackerStep step = release_held_play();
  buffering_low_ = true;
  // Before the first play it is the initial load (time to start); during a
  // seek it is the seek's; in a pause the viewer is not waiting for it.
  if (activity_ != Activity::kPlaying)
    return step;
  if (phase_ == Phase::kOpen)
    add_playback(step, now, EventType::kBufferStart, playhead);
  enter(Activity::kBuffering, now);
  return step;
}

TrackerStep PlaybackTracker::seek_started(const Instant &now, double playhead) {
  TrackerStep step = release_held_play();
  stream_ended_ = false;
  if (phase_ == Phase::kCompleted) {
    // After the end a seek brings the viewer back: a new viewing when data
    // flows again.
    replay_ = true;
    activity_ = Activity::kSeeking;
    seek_landed_ = false;
    return step;
  }
  switch (activity_) {
    case Activity::kPlaying:
      if (phase_ == Phase::kOpen)
        add_playback(step, now, EventType::kPauseStart, playhead);
      enter(Activity::kSeeking, now);
      break;
    case Activity::kStarting:
    case Activity::kBuffering:
      enter(Activity::kSeeking, now);
      break;
    case Activity::kSeeking:
      break;
    case Activity::kPaused:
      // The pause goes on; the play after it reports the new position.
      return step;
  }
  seek_landed_ = false;
  return step;
}

void PlaybackTracker::seek_landed() {
  if (activity_ == Activity::kSeeking)
    seek_landed_ = true;
}

TrackerStep PlaybackTracker::end_of_stream(const Instant &now, double playhead) {
  // After an error the EOS that the failing elements push is no end of the
  // content: the stop that follows ends the session.
  if (phase_ != Phase::kOpen || errored_)
    return {};
  TrackerStep step = close(now, EventType::kSessionComplete, playhead, true);
  phase_ = Phase::kCompleted;
  replay_ = false;
  return step;
}

TrackerStep PlaybackTracker::error(const Instant &now, double playhead,
                                   const std::string &error_id,
                                   const std::string &error_source) {
  TrackerStep step = release_held_play();
  errored_ = true;
  if (phase_ != Phase::kOpen)
    return step;
  Event event = make(now, EventType::kError, playhead);
  event.params.set("media.errorId", error_id);
  event.params.set("media.errorSource", error_source);
  step.events.push_back(std::move(event));
  return step;
}

TrackerStep PlaybackTracker::stopped(const Instant &now, double playhead) {
  TrackerStep step;
  if (phase_ == Phase::kOpen)
    step = close(now, EventType::kSessionEnd, playhead, false);
  if (phase_ != Phase::kNone)
    phase_ = Phase::kEnded;
  activity_ = Activity::kStarting;
  in_playing_ = false;
  buffering_low_ = false;
  seek_landed_ = false;
  replay_ = false;
  errored_ = false;
  return step;
}

TrackerStep PlaybackTracker::ping(const Instant &now, double playhead) {
  TrackerStep step = release_held_play();
  if (phase_ == Phase::kOpen)
    add_playback(step, now, EventType::kPing, playhead);
  return step;
}

int64_t PlaybackTracker::next_deadline_ms() const {
  if (phase_ != Phase::kOpen)
    return -1;
  // The first play waits for a pre-roll until then (and the idle deadline of
  // the start is later).
  if (held_play_)
    return held_play_->at.monotonic_ms + options_.preroll_wait_ms;
  if (activity_ == Activity::kPlaying) {
    // After an error the data stops for good: not a stall, but idle once
    // the application leaves the pipeline as it is for idle_timeout.
    if (errored_)
      return options_.idle_timeout_ms > 0 ? last_data_ms_ + options_.idle_timeout_ms : -1;
    if (in_playing_ && !stream_ended_ && options_.stall_threshold_ms > 0)
      return last_data_ms_ + options_.stall_threshold_ms;
    return -1;
  }
  if (options_.idle_timeout_ms > 0)
    return idle_since_ms_ + options_.idle_timeout_ms;
  return -1;
}

bool PlaybackTracker::deadline_due(const Instant &now, int64_t last_data_ms) {
  last_data_ms_ = std::max(last_data_ms_, last_data_ms);
  const int64_t deadline = next_deadline_ms();
  return deadline >= 0 && now.monotonic_ms >= deadline;
}

TrackerStep PlaybackTracker::deadline_reached(const Instant &now, int64_t last_data_ms,
                                              double playhead) {
  TrackerStep step;
  if (!deadline_due(now, last_data_ms))
    return step;
  if (held_play_)
    return release_held_play();  // no pre-roll came
  if (activity_ == Activity::kPlaying && !errored_) {
    add_playback(step, now, EventType::kBufferStart, playhead);
    activity_ = Activity::kBuffering;
    // The stall began with the last data, and so did the idle time.
    idle_since_ms_ = last_data_ms_;
    // It may already be idle for long enough (a threshold past the timeout).
    append(step, deadline_reached(now, last_data_ms, playhead));
    return step;
  }
  step = close(now, EventType::kSessionEnd, playhead, false);
  phase_ = Phase::kExpired;
  return step;
}

CallResult PlaybackTracker::call(const Instant &now, const MarkerVerdict &verdict,
                                 EventType type, double playhead) {
  if (!verdict.accepted)
    return rejected(verdict.reason);
  CallResult result;
  result.step = release_held_play();
  add_closes(result.step, now, verdict.closes, playhead);
  result.step.events.push_back(make(now, type, playhead));
  return result;
}

CallResult PlaybackTracker::ad_break_start(const Instant &now, Params params,
                                           double playhead) {
  if (phase_ != Phase::kOpen)
    return no_session();
  const bool was_in_ad = markers_.in_ad();
  const double content = markers_.in_break() ? break_playhead_ : playhead;
  CallResult result;
  if (held_play_) {
    if (now.monotonic_ms < held_play_->at.monotonic_ms + options_.preroll_wait_ms) {
      // A pre-roll announced while the first play waited: the content has
      // not started for the viewer; it plays after the break (§6 #2).
      held_play_.reset();
      activity_ = Activity::kStarting;
    } else {
      // The wait was over, whether or not deadline_reached() ran yet (the
      // sending thread may be late): the content started, this is a
      // mid-roll.
      result.step = release_held_play();
    }
  }
  MarkerVerdict verdict = markers_.ad_break_start();
  // The closings of a previous break still belong to it; this one starts
  // where the content is.
  add_closes(result.step, now, verdict.closes, playhead);
  break_playhead_ = content;
  Event start = make(now, EventType::kAdBreakStart, playhead);
  start.params = std::move(params);
  result.step.events.push_back(std::move(start));
  if (was_in_ad)
    result.step.ping_grid = TrackerStep::PingGrid::kMain;
  return result;
}

CallResult PlaybackTracker::ad_start(const Instant &now, Params params,
                                     CustomMetadata custom, double playhead) {
  if (phase_ != Phase::kOpen)
    return no_session();
  CallResult result = call(now, markers_.ad_start(), EventType::kAdStart, playhead);
  if (result.accepted) {
    result.step.events.back().params = std::move(params);
    result.step.events.back().custom = std::move(custom);
    result.step.ping_grid = TrackerStep::PingGrid::kAd;
  }
  return result;
}

CallResult PlaybackTracker::ad_complete(const Instant &now, double playhead) {
  if (phase_ != Phase::kOpen)
    return no_session();
  CallResult result = call(now, markers_.ad_complete(), EventType::kAdComplete, playhead);
  if (result.accepted)
    result.step.ping_grid = TrackerStep::PingGrid::kMain;
  return result;
}

CallResult PlaybackTracker::ad_skip(const Instant &now, double playhead) {
  if (phase_ != Phase::kOpen)
    return no_session();
  CallResult result = call(now, markers_.ad_skip(), EventType::kAdSkip, playhead);
  if (result.accepted)
    result.step.ping_grid = TrackerStep::PingGrid::kMain;
  return result;
}

CallResult PlaybackTracker::ad_break_complete(const Instant &now, double playhead) {
  if (phase_ != Phase::kOpen)
    return no_session();
  const bool was_in_ad = markers_.in_ad();
  MarkerVerdict verdict = markers_.ad_break_complete();
  if (!verdict.accepted)
    return rejected(verdict.reason);
  // The break's events keep the content position; it is no longer frozen
  // for what follows.
  CallResult result;
  for (EventType type : verdict.closes) {
    Event close = make(now, type, break_playhead_);
    result.step.events.push_back(std::move(close));
  }
  result.step.events.push_back(make(now, EventType::kAdBreakComplete, break_playhead_));
  if (was_in_ad)
    result.step.ping_grid = TrackerStep::PingGrid::kMain;
  // §6 #2, timeline 1: after the pre-roll, play starts the content.
  if (activity_ == Activity::kStarting && play_due() && !first_play_waits(now)) {
    add_playback(result.step, now, EventType::kPlay, playhead);
    activity_ = Activity::kPlaying;
  }
  return result;
}

CallResult PlaybackTracker::chapter_start(const Instant &now, Params params,
                                          CustomMetadata custom, double playhead) {
  if (phase_ != Phase::kOpen)
    return no_session();
  if (markers_.awaiting_ad())
    return between_break_and_ad();
  CallResult result =
      call(now, markers_.chapter_start(), EventType::kChapterStart, playhead);
  if (result.accepted) {
    result.step.events.back().params = std::move(params);
    result.step.events.back().custom = std::move(custom);
  }
  return result;
}

CallResult PlaybackTracker::chapter_complete(const Instant &now, double playhead) {
  if (phase_ != Phase::kOpen)
    return no_session();
  if (markers_.awaiting_ad())
    return between_break_and_ad();
  return call(now, markers_.chapter_complete(), EventType::kChapterComplete, playhead);
}

CallResult PlaybackTracker::chapter_skip(const Instant &now, double playhead) {
  if (phase_ != Phase::kOpen)
    return no_session();
  if (markers_.awaiting_ad())
    return between_break_and_ad();
  return call(now, markers_.chapter_skip(), EventType::kChapterSkip, playhead);
}

CallResult PlaybackTracker::state_start(const Instant &now, const std::string &name,
                                        double playhead) {
  if (phase_ != Phase::kOpen)
    return no_session();
  if (markers_.awaiting_ad())
    return between_break_and_ad();
  if (name.empty())
    return rejected("a state needs a name");
  CallResult result =
      call(now, markers_.state_start(name), EventType::kStatesUpdate, playhead);
  if (result.accepted)
    result.step.events.back().states_start = {name};
  return result;
}

CallResult PlaybackTracker::state_end(const Instant &now, const std::string &name,
                                      double playhead) {
  if (phase_ != Phase::kOpen)
    return no_session();
  if (markers_.awaiting_ad())
    return between_break_and_ad();
  CallResult result =
      call(now, markers_.state_end(name), EventType::kStatesUpdate, playhead);
  if (result.accepted)
    result.step.events.back().states_end = {name};
  return result;
}

CallResult PlaybackTracker::track_error(const Instant &now, const std::string &error_id,
                                        const std::string &error_source,
                                        double playhead) {
  if (phase_ != Phase::kOpen)
    return no_session();
  if (markers_.awaiting_ad())
    return between_break_and_ad();
  CallResult result;
  result.step = error(now, playhead, error_id, error_source);
  return result;
}

CallResult PlaybackTracker::end_session(const Instant &now, double playhead) {
  // §4.2: a hard close after the completion is sessionComplete, then
  // sessionEnd.
  if (phase_ == Phase::kCompleted) {
    CallResult result;
    result.step.events.push_back(make(now, EventType::kSessionEnd, playhead));
    result.step.session_closed = true;
    phase_ = Phase::kEnded;
    return result;
  }
  if (phase_ != Phase::kOpen)
    return no_session();
  CallResult result;
  result.step = close(now, EventType::kSessionEnd, playhead, false);
  phase_ = Phase::kEnded;
  return result;
}

TrackerStep PlaybackTracker::bitrate_changed(const Instant &now, int64_t bps,
                                             double playhead) {
  constexpr double kSignificant = 0.10;
  constexpr int64_t kDebounceMs = 2000;
  TrackerStep step;
  if (bps <= 0)
    return step;
  set_bitrate(bps);
  if (phase_ != Phase::kOpen || !content_started_ || !qoe_sent_.bitrate)
    return step;  // the first value goes with the next event that takes qoeData
  const double last = static_cast<double>(*qoe_sent_.bitrate);
  if (std::abs(static_cast<double>(bps) - last) <= kSignificant * last)
    return step;
  if (last_bitrate_change_ms_ >= 0 &&
      now.monotonic_ms - last_bitrate_change_ms_ < kDebounceMs)
    return step;
  last_bitrate_change_ms_ = now.monotonic_ms;
  add_playback(step, now, EventType::kBitrateChange, playhead);
  return step;
}

const char *tracker_phase_name(PlaybackTracker::Phase phase) {
  switch (phase) {
    case PlaybackTracker::Phase::kNone:
      return "none";
    case PlaybackTracker::Phase::kOpen:
      return "open";
    case PlaybackTracker::Phase::kExpired:
      return "expired";
    case PlaybackTracker::Phase::kCompleted:
      return "completed";
    case PlaybackTracker::Phase::kEnded:
      return "ended";
  }
  return "?";
}

const char *tracker_activity_name(PlaybackTracker::Activity activity) {
  switch (activity) {
    case PlaybackTracker::Activity::kStarting:
      return "starting";
    case PlaybackTracker::Activity::kPlaying:
      return "playing";
    case PlaybackTracker::Activity::kPaused:
      return "paused";
    case PlaybackTracker::Activity::kBuffering:
      return "buffering";
    case PlaybackTracker::Activity::kSeeking:
      return "seeking";
  }
  return "?";
}

}  // namespace mediaanalytics
