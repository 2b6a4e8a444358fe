// The fake-clock fixture shared by the tests of the session state machine
// (gst/client/playback-tracker.h): the clocks, the tracker's options, one
// viewing whose observations return the type names of the events they gave,
// and the checks that hold for every step. Header-only, in an anonymous
// namespace: each test file includes it once and gets its own copy.
#pragma once

#include <gst/check/gstcheck.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "playback-tracker.h"

namespace {

// The names every tracker test uses.
using mediaanalytics::Event;
using mediaanalytics::event_type_name;
using mediaanalytics::EventType;
using mediaanalytics::Instant;
using mediaanalytics::Params;
using mediaanalytics::PlaybackTracker;
using mediaanalytics::SessionInfo;
using mediaanalytics::TrackerOptions;
using mediaanalytics::TrackerStep;
using mediaanalytics::Value;

using Phase = PlaybackTracker::Phase;

// Origins far from 0 and from each other, so that mixing up the two clocks,
// or a time with a duration, shows in the numbers.
constexpr int64_t kMono0 = 7000000;
constexpr int64_t kUtc0 = 1700000000000;
constexpr int64_t kDayMs = 86400 * 1000;

constexpr int64_t kThreshold = 3000;
// Shorter than the default, so that the numbers stay readable.
constexpr int64_t kIdle = 60000;

// The monotonic time `t` ms into a test.
int64_t mono(int64_t t) {
  return kMono0 + t;
}

// No pre-roll wait unless a test is about it: the first play comes with the
// first data.
TrackerOptions test_options(int64_t stall_threshold_ms = kThreshold,
                            int64_t idle_timeout_ms = kIdle,
                            int64_t preroll_wait_ms = 0) {
  TrackerOptions options;
  options.stall_threshold_ms = stall_threshold_ms;
  options.idle_timeout_ms = idle_timeout_ms;
  options.preroll_wait_ms = preroll_wait_ms;
  return options;
}

// One viewing: the tracker, a fake clock the test moves with at(), and every
// event sent so far. Each observation returns the type names of the events it
// gave ("pauseStart play"), keeps the step for closer looks, and checks what
// must hold for every event (take()), so that the tests only state what is
// particular to them.
class TrackerFixture {
 public:
  // What take() checks for every step.
  enum class Checks {
    // §6 #11 (ts strictly increasing) and session_closed.
    kOrder,
    // Those, and also: no ts before its moment, the playhead's range (§8),
    // where the opening and closing events stand (§6 #1), session_opened.
    kEveryRule,
  };

  TrackerFixture(TrackerOptions options, SessionInfo info, int64_t utc0, Checks checks)
      : tracker(options),
        info(std::move(info)),
        utc0(utc0),
        now{kMono0, utc0},
        checks_(checks) {}

  // Moves both clocks to `t` ms into the test.
  void at(int64_t t) {
    now.monotonic_ms = mono(t);
    now.utc_ms = utc0 + t;
  }

  // The player.
  std::string play_requested(double playhead = 0.0) {
    return take(tracker.play_requested(now, info, playhead));
  }
  std::string bitrate(int64_t bps, double playhead) {
    return take(tracker.bitrate_changed(now, bps, playhead));
  }
  std::string session_requested(double playhead = 0.0) {
    return take(tracker.session_requested(now, info, playhead));
  }
  std::string data(double playhead) { return take(tracker.data_flowing(now, playhead)); }
  std::string paused(double playhead) { return take(tracker.paused(now, playhead)); }
  std::string buffering(int percent, double playhead) {
    return take(tracker.buffering(now, percent, playhead));
  }
  std::string seek_started(double playhead) {
    return take(tracker.seek_started(now, playhead));
  }
  std::string eos(double playhead) { return take(tracker.end_of_stream(now, playhead)); }
  std::string error(double playhead, const std::string &id, const std::string &source) {
    return take(tracker.error(now, playhead, id, source));
  }
  std::string stopped(double playhead) { return take(tracker.stopped(now, playhead)); }
  std::string ping(double playhead) { return take(tracker.ping(now, playhead)); }
  // The latest data was `last_data_t` ms into the test.
  std::string deadline(int64_t last_data_t, double playhead) {
    return take(tracker.deadline_reached(now, mono(last_data_t), playhead));
  }

  // The viewer is watching from `t` on: play requested and the first data
  // (no pre-roll wait).
  void start(int64_t t = 0) {
    at(t);
    const std::string opened = play_requested();
    fail_unless_equals_string(opened.c_str(), "sessionStart");
    const std::string played = data(0.0);
    fail_unless_equals_string(played.c_str(), "play");
  }

  // Event `i` of the latest step.
  const Event &event(std::size_t i) const {
    fail_unless(i < step.events.size(), "the step has no event %zu", i);
    return step.events[i];
  }

  PlaybackTracker tracker;
  SessionInfo info;
  int64_t utc0;
  Instant now;
  TrackerStep step;
  std::vector<Event> sent;

 protected:
  // Checks the rules every step follows, records its events and returns their
  // type names.
  std::string take(TrackerStep taken) {
    const bool every_rule = checks_ == Checks::kEveryRule;
    step = std::move(taken);
    std::string names;
    for (std::size_t i = 0; i < step.events.size(); ++i) {
      const Event &event = step.events[i];
      const char *name = event_type_name(event.type);
      // §6 #11: ts strictly increasing by >= 1 ms, and never before the
      // moment the event happened.
      if (every_rule)
        fail_unless(event.ts_ms >= now.utc_ms, "%s stamped before it happened", name);
      if (!sent.empty())
        fail_unless(event.ts_ms >= sent.back().ts_ms + 1,
                    "%s ts %" G_GINT64_FORMAT " not after %" G_GINT64_FORMAT, name,
                    event.ts_ms, sent.back().ts_ms);
      if (every_rule)
        check_placement(i, name);
      sent.push_back(event);
      if (!names.empty())
        names += ' ';
      names += name;
    }
    if (every_rule) {
      const bool starts =
          !step.events.empty() && step.events.front().type == EventType::kSessionStart;
      fail_unless(step.session_opened == starts, "session_opened is %d with events '%s'",
                  step.session_opened, names.c_str());
    }
    const bool ends =
        !step.events.empty() && (step.events.back().type == EventType::kSessionComplete ||
                                 step.events.back().type == EventType::kSessionEnd);
    fail_unless(step.session_closed == ends, "session_closed is %d with events '%s'",
                step.session_closed, names.c_str());
    return names;
  }

 private:
  // The playhead and the place in the step of event `i` of the latest step.
  void check_placement(std::size_t i, const char *name) const {
    const Event &event = step.events[i];
    // §8: the playhead's range, and for live the second of the day of ts.
    if (info.live) {
      const double of_day = static_cast<double>(event.ts_ms % kDayMs) / 1000.0;
      fail_unless(event.playhead == of_day, "live %s playhead %f, not %f", name,
                  event.playhead, of_day);
    } else {
      fail_unless(std::isfinite(event.playhead) && event.playhead >= 0.0 &&
                      event.playhead < info.length,
                  "%s playhead %f out of [0, length)", name, event.playhead);
    }
    // §6 #1: a sessionStart only opens a step, and a step that opens a
    // session starts with it; likewise for the closing events.
    const bool opens = event.type == EventType::kSessionStart;
    const bool closes =
        event.type == EventType::kSessionComplete || event.type == EventType::kSessionEnd;
    fail_unless(!opens || i == 0, "sessionStart in the middle of a step");
    fail_unless(!closes || i + 1 == step.events.size(), "%s not last", name);
  }

  Checks checks_;
};

}  // namespace

// The names are held in a local: fail_unless_equals_string() keeps the
// pointer it is given, which a temporary's c_str() would leave dangling. A
// macro, so that a failure names the test's line.
#define assert_events(call, expected)                     \
  do {                                                    \
    const std::string events_ = (call);                   \
    fail_unless_equals_string(events_.c_str(), expected); \
  } while (0)
