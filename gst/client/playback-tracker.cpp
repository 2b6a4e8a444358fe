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
  event.playhead = reported_playhead(event.ts_ms, playhead);
  return event;
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
  if (resume)
    start.params.set("media.resume", true);
  step.events.push_back(std::move(start));
  step.session_opened = true;
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
  TrackerStep step;
  if (activity_ == Activity::kPlaying && phase_ == Phase::kOpen)
    step.events.push_back(make(now, EventType::kPauseStart, playhead));
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
  return phase_ == Phase::kOpen || phase_ == Phase::kExpired ||
         (phase_ == Phase::kCompleted && replay_);
}

TrackerStep PlaybackTracker::data_flowing(const Instant &now, double playhead) {
  last_data_ms_ = std::max(last_data_ms_, now.monotonic_ms);
  if (!play_due())
    return {};
  TrackerStep step;
  if (phase_ == Phase::kExpired)
    step = open(now, playhead, true);
  else if (phase_ == Phase::kCompleted)
    step = open(now, playhead, false);
  step.events.push_back(make(now, EventType::kPlay, playhead));
  activity_ = Activity::kPlaying;
  seek_landed_ = false;
  return step;
}

TrackerStep PlaybackTracker::buffering(const Instant &now, int percent, double playhead) {
  TrackerStep step;
  if (percent >= 100) {
    buffering_low_ = false;
    return step;
  }
  buffering_low_ = true;
  // Before the first play it is the initial load (time to start); during a
  // seek it is the seek's; in a pause the viewer is not waiting for it.
  if (activity_ != Activity::kPlaying)
    return step;
  if (phase_ == Phase::kOpen)
    step.events.push_back(make(now, EventType::kBufferStart, playhead));
  enter(Activity::kBuffering, now);
  return step;
}

TrackerStep PlaybackTracker::seek_started(const Instant &now, double playhead) {
  TrackerStep step;
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
        step.events.push_back(make(now, EventType::kPauseStart, playhead));
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
  TrackerStep step;
  // After an error the EOS that the failing elements push is no end of the
  // content: the stop that follows ends the session.
  if (phase_ != Phase::kOpen || errored_)
    return step;
  step.events.push_back(make(now, EventType::kSessionComplete, playhead));
  step.session_closed = true;
  phase_ = Phase::kCompleted;
  replay_ = false;
  return step;
}

TrackerStep PlaybackTracker::error(const Instant &now, double playhead,
                                   const std::string &error_id,
                                   const std::string &error_source) {
  TrackerStep step;
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
  if (phase_ == Phase::kOpen) {
    step.events.push_back(make(now, EventType::kSessionEnd, playhead));
    step.session_closed = true;
  }
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
  TrackerStep step;
  if (phase_ == Phase::kOpen)
    step.events.push_back(make(now, EventType::kPing, playhead));
  return step;
}

int64_t PlaybackTracker::next_deadline_ms() const {
  if (phase_ != Phase::kOpen)
    return -1;
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

TrackerStep PlaybackTracker::deadline_reached(const Instant &now, int64_t last_data_ms,
                                              double playhead) {
  last_data_ms_ = std::max(last_data_ms_, last_data_ms);
  TrackerStep step;
  const int64_t deadline = next_deadline_ms();
  if (deadline < 0 || now.monotonic_ms < deadline)
    return step;
  if (activity_ == Activity::kPlaying && !errored_) {
    step.events.push_back(make(now, EventType::kBufferStart, playhead));
    activity_ = Activity::kBuffering;
    // The stall began with the last data, and so did the idle time.
    idle_since_ms_ = last_data_ms_;
    // It may already be idle for long enough (a threshold past the timeout).
    append(step, deadline_reached(now, last_data_ms, playhead));
    return step;
  }
  step.events.push_back(make(now, EventType::kSessionEnd, playhead));
  step.session_closed = true;
  phase_ = Phase::kExpired;
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
