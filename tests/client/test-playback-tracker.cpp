// The session state machine (gst/client/playback-tracker.h): player
// observations turned into Collection API events (spec §4–§8). Every test
// drives it with a made-up clock, so stall and idle deadlines are exact and
// no test sleeps.
#include <gst/check/gstcheck.h>

#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "tracker-fixture.h"

using mediaanalytics::tracker_activity_name;
using mediaanalytics::tracker_phase_name;

using Activity = PlaybackTracker::Activity;

namespace {

// 23:59:58.500 UTC: a live test crosses midnight two seconds in.
constexpr int64_t kBeforeMidnight = 19700 * kDayMs - 1500;

constexpr double kLength = 120.0;

// Content params as the element would build them; the tracker must pass them
// through untouched.
SessionInfo vod_info() {
  SessionInfo info;
  info.params.set("media.id", "movie-1")
      .set("media.name", "A movie")
      .set("media.length", kLength)
      .set("media.contentType", "VOD")
      .set("media.playerName", "gst")
      .set("media.channel", "test");
  info.length = kLength;
  return info;
}

SessionInfo live_info() {
  SessionInfo info;
  info.params.set("media.id", "channel-1")
      .set("media.length", 86400.0)
      .set("media.contentType", "Live");
  info.live = true;
  info.length = 86400.0;
  return info;
}

// Whether `params` holds exactly `expected` plus, when `resume`, media.resume
// true: nothing lost, nothing changed, nothing added.
bool params_are(const Params &params, const Params &expected, bool resume) {
  for (const Params::Entry &entry : expected) {
    const Value *value = params.find(entry.first);
    if (value == nullptr || !(*value == entry.second))
      return false;
  }
  const Value *value = params.find("media.resume");
  if (resume)
    return value != nullptr && *value == Value(true) &&
           params.size() == expected.size() + 1;
  return value == nullptr && params.size() == expected.size();
}

// One viewing of vod_info() unless a test says otherwise, with every rule of
// TrackerFixture::take() checked on every step.
struct Viewing : TrackerFixture {
  explicit Viewing(TrackerOptions options = test_options(), SessionInfo info = vod_info(),
                   int64_t utc0 = kUtc0)
      : TrackerFixture(options, std::move(info), utc0, Checks::kEveryRule) {}
};

}  // namespace

// §4.1 #1, §5: the intent to play opens the session, with the content params
// as given and no media.resume on a first viewing.
GST_START_TEST(test_play_requested_opens_the_session) {
  Viewing v;
  assert_events(v.play_requested(12.0), "sessionStart");
  fail_unless(v.step.session_opened, "not opened");
  fail_unless(v.event(0).ts_ms == kUtc0, "sessionStart not stamped now");
  fail_unless(v.event(0).playhead == 12.0, "sessionStart playhead %f",
              v.event(0).playhead);
  fail_unless(params_are(v.event(0).params, v.info.params, false), "params changed");
  fail_unless(v.tracker.phase() == Phase::kOpen, "phase %s",
              tracker_phase_name(v.tracker.phase()));
  fail_unless(v.tracker.activity() == Activity::kStarting, "activity %s",
              tracker_activity_name(v.tracker.activity()));
}
GST_END_TEST;

// The session is opened once, however often the pipeline goes to PLAYING.
GST_START_TEST(test_second_play_request_does_not_reopen) {
  Viewing v;
  v.play_requested();
  v.at(100);
  assert_events(v.play_requested(), "");
  fail_unless(!v.step.session_opened, "opened twice");
}
GST_END_TEST;

// Preroll data in PAUSED, before any intent to play, is no play.
GST_START_TEST(test_no_play_before_play_requested) {
  Viewing v;
  fail_unless(!v.tracker.play_due(), "play due before the session");
  assert_events(v.data(0.0), "");
  fail_unless(v.tracker.phase() == Phase::kNone, "data opened a session");
}
GST_END_TEST;

// §5: play on the first data in PLAYING, once; the load before it is time to
// start, so no stall deadline runs yet, only the idle one (§4.3: a start
// that never gets data would be closed by the back end after 30 min).
GST_START_TEST(test_first_data_gives_one_play) {
  Viewing v;
  v.play_requested();
  fail_unless(v.tracker.play_due(), "no play due after the intent to play");
  fail_unless(v.tracker.next_deadline_ms() == mono(kIdle),
              "not the idle deadline before the first play");
  v.at(400);
  assert_events(v.data(0.0), "play");
  fail_unless(v.tracker.activity() == Activity::kPlaying, "not playing");
  fail_unless(!v.tracker.play_due(), "play still due");
  v.at(440);
  assert_events(v.data(0.04), "");
}
GST_END_TEST;

// Two events of one instant are still 1 ms apart (§6 #11).
GST_START_TEST(test_events_of_one_instant_are_one_ms_apart) {
  Viewing v;
  v.play_requested();
  assert_events(v.data(0.0), "play");
  fail_unless(v.event(0).ts_ms == kUtc0 + 1, "play ts %" G_GINT64_FORMAT,
              v.event(0).ts_ms);
}
GST_END_TEST;

// §5.1: pauseStart, and the play after it ends the pause.
GST_START_TEST(test_pause_and_resume) {
  Viewing v;
  v.start();
  v.at(5000);
  assert_events(v.paused(5.0), "pauseStart");
  fail_unless(v.event(0).playhead == 5.0, "pauseStart playhead %f", v.event(0).playhead);
  fail_unless(!v.tracker.play_due(), "play due while paused");
  v.at(8000);
  assert_events(v.play_requested(5.0), "");
  fail_unless(v.tracker.play_due(), "no play due after the resume");
  assert_events(v.data(5.0), "play");
}
GST_END_TEST;

// Nothing is playing yet, so there is nothing to pause; the resume gives the
// first play.
GST_START_TEST(test_pause_before_first_play_is_silent) {
  Viewing v;
  v.play_requested();
  v.at(200);
  assert_events(v.paused(0.0), "");
  fail_unless(v.tracker.activity() == Activity::kPaused, "not paused");
  // Silent, but it is a pause all the same: the idle time runs from it.
  fail_unless(v.tracker.next_deadline_ms() == mono(200 + kIdle), "idle deadline");
  assert_events(v.data(0.0), "");
  v.at(3000);
  assert_events(v.play_requested(), "");
  assert_events(v.data(0.0), "play");
}
GST_END_TEST;

// Issue 4: the initial load counts as time to start, not as buffering, and the
// first play waits for it.
GST_START_TEST(test_initial_buffering_delays_the_first_play) {
  Viewing v;
  v.play_requested();
  v.at(100);
  assert_events(v.buffering(30, 0.0), "");
  assert_events(v.data(0.0), "");
  fail_unless(!v.tracker.play_due(), "play due while loading");
  v.at(900);
  assert_events(v.buffering(100, 0.0), "");
  fail_unless(v.tracker.play_due(), "no play due after the load");
  assert_events(v.data(0.0), "play");
}
GST_END_TEST;

// §5.1: bufferStart while watching; play when the buffer is full and data
// flows again.
GST_START_TEST(test_rebuffering_gives_buffer_start_then_play) {
  Viewing v;
  v.start();
  v.at(4000);
  assert_events(v.buffering(40, 4.0), "bufferStart");
  fail_unless(v.tracker.activity() == Activity::kBuffering, "not buffering");
  assert_events(v.buffering(70, 4.0), "");
  assert_events(v.data(4.0), "");
  v.at(5000);
  assert_events(v.buffering(100, 4.0), "");
  assert_events(v.data(4.0), "play");
}
GST_END_TEST;

// Issue 4: the pause an application makes because of buffering is buffering.
GST_START_TEST(test_pause_during_buffering_is_no_pause) {
  Viewing v;
  v.start();
  v.at(4000);
  assert_events(v.buffering(20, 4.0), "bufferStart");
  assert_events(v.paused(4.0), "");
  v.at(6000);
  assert_events(v.buffering(100, 4.0), "");
  assert_events(v.play_requested(4.0), "");
  assert_events(v.data(4.0), "play");
}
GST_END_TEST;

// §6 #9: pauseStart when the seek starts, play when it lands; data of the old
// segment before the landing is not the landing.
GST_START_TEST(test_seek_while_playing) {
  Viewing v;
  v.start();
  v.at(3000);
  assert_events(v.seek_started(3.0), "pauseStart");
  fail_unless(v.event(0).playhead == 3.0, "pauseStart playhead %f", v.event(0).playhead);
  assert_events(v.data(3.0), "");
  fail_unless(!v.tracker.play_due(), "play due before the landing");
  v.tracker.seek_landed();
  fail_unless(v.tracker.play_due(), "no play due after the landing");
  v.at(3200);
  assert_events(v.data(60.0), "play");
  fail_unless(v.event(0).playhead == 60.0, "play playhead %f", v.event(0).playhead);
}
GST_END_TEST;

// The viewer was already paused: the seek adds nothing, and the play after
// the resume reports the new position.
GST_START_TEST(test_seek_while_paused) {
  Viewing v;
  v.start();
  v.at(3000);
  assert_events(v.paused(3.0), "pauseStart");
  v.at(4000);
  assert_events(v.seek_started(3.0), "");
  v.tracker.seek_landed();
  // The preroll of the new segment in PAUSED.
  assert_events(v.data(60.0), "");
  v.at(6000);
  assert_events(v.play_requested(60.0), "");
  assert_events(v.data(60.0), "play");
}
GST_END_TEST;

// Issue 4: a seek's own buffering is part of the seek, not a bufferStart, but
// the play still waits for it.
GST_START_TEST(test_seek_buffering_is_part_of_the_seek) {
  Viewing v;
  v.start();
  v.at(3000);
  assert_events(v.seek_started(3.0), "pauseStart");
  assert_events(v.buffering(10, 3.0), "");
  v.tracker.seek_landed();
  assert_events(v.data(60.0), "");
  v.at(3500);
  assert_events(v.buffering(100, 60.0), "");
  assert_events(v.data(60.0), "play");
}
GST_END_TEST;

// §4.2: sessionComplete once at EOS, at a playhead below media.length, and
// the session's ping grid and deadlines stop.
GST_START_TEST(test_eos_completes_once) {
  Viewing v;
  v.start();
  v.at(120000);
  // Stream positions at EOS can be at or past the duration.
  assert_events(v.eos(kLength + 0.5), "sessionComplete");
  fail_unless(v.step.session_closed, "not closed");
  fail_unless(v.event(0).playhead < kLength && v.event(0).playhead > kLength - 0.1,
              "sessionComplete playhead %f", v.event(0).playhead);
  fail_unless(v.tracker.phase() == Phase::kCompleted, "phase %s",
              tracker_phase_name(v.tracker.phase()));
  fail_unless(v.tracker.next_deadline_ms() == -1, "a deadline after EOS");
  v.at(121000);
  assert_events(v.eos(kLength), "");
  assert_events(v.ping(kLength), "");
}
GST_END_TEST;

// A playhead inside the content is reported as it is.
GST_START_TEST(test_vod_playhead_inside_length_is_kept) {
  Viewing v;
  v.start();
  v.at(1000);
  assert_events(v.eos(60.25), "sessionComplete");
  fail_unless(v.event(0).playhead == 60.25, "playhead %f", v.event(0).playhead);
}
GST_END_TEST;

// §5.1: an error with its two params; the session stays open (pings go on)
// and a lack of data after it is no stall.
GST_START_TEST(test_error_keeps_the_session_open) {
  Viewing v;
  v.start();
  v.at(2000);
  assert_events(v.error(2.0, "gst.resource.read", "external"), "error");
  const Params &params = v.event(0).params;
  fail_unless(params.size() == 2, "error has %zu params", params.size());
  fail_unless(
      params.find("media.errorId") != nullptr &&
          *params.find("media.errorId") == Value(std::string("gst.resource.read")),
      "media.errorId");
  fail_unless(params.find("media.errorSource") != nullptr &&
                  *params.find("media.errorSource") == Value(std::string("external")),
              "media.errorSource");
  fail_unless(v.tracker.phase() == Phase::kOpen, "the error closed the session");
  // No stall: the idle deadline from the last data (the start, here).
  fail_unless(v.tracker.next_deadline_ms() == mono(kIdle),
              "a stall deadline after the error");
  v.at(kIdle - 1);
  assert_events(v.deadline(0, 2.0), "");
  assert_events(v.ping(2.0), "ping");
  // The stop that follows a fatal error ends the session.
  assert_events(v.stopped(2.0), "sessionEnd");
}
GST_END_TEST;

// §4.3: an application that leaves the pipeline in PLAYING after an error:
// no data for idle_timeout expires the session (no bufferStart before it).
GST_START_TEST(test_error_then_idle_expires) {
  Viewing v;
  v.start();
  v.at(2000);
  assert_events(v.error(2.0, "resource.read", "external"), "error");
  v.at(kIdle);
  assert_events(v.deadline(0, 2.0), "sessionEnd");
  fail_unless(v.tracker.phase() == Phase::kExpired, "not expired");
}
GST_END_TEST;

// The intent to play opens the session while the application still holds
// the pipeline in PAUSED (the initial load): data then (preroll) is no play;
// the first data once the element is PLAYING is.
GST_START_TEST(test_intent_before_playing) {
  Viewing v;
  fail_unless(v.tracker.wants_session(), "no session wanted at first");
  assert_events(v.session_requested(), "sessionStart");
  fail_unless(!v.tracker.wants_session(), "a second session wanted");
  fail_unless(!v.tracker.play_due(), "play due before PLAYING");
  v.at(300);
  assert_events(v.data(0.0), "");
  v.at(1000);
  v.tracker.entered_playing();
  fail_unless(v.tracker.play_due(), "no play due in PLAYING");
  assert_events(v.data(0.0), "play");
}
GST_END_TEST;

// §9.11: timeToStart on the first play only, from the sessionStart's ts.
GST_START_TEST(test_qoe_time_to_start) {
  Viewing v;
  v.play_requested();
  v.at(700);
  assert_events(v.data(0.0), "play");
  fail_unless(v.event(0).qoe.time_to_start == std::optional<int64_t>(700),
              "timeToStart is not 700 ms");
  v.at(2000);
  assert_events(v.paused(1.3), "pauseStart");
  v.at(3000);
  v.play_requested(1.3);
  assert_events(v.data(1.3), "play");
  fail_unless(!v.event(0).qoe.time_to_start, "timeToStart on a later play");
}
GST_END_TEST;

// §9.11: QoE values go out on the next event that takes qoeData, once per
// change, never on pings.
GST_START_TEST(test_qoe_sent_when_changed) {
  Viewing v;
  v.start();
  v.tracker.set_dropped_frames(3);
  v.tracker.set_frames_per_second(25);
  v.at(1000);
  assert_events(v.ping(1.0), "ping");
  fail_unless(v.event(0).qoe.empty(), "qoe on a ping");
  v.at(1500);
  assert_events(v.paused(1.5), "pauseStart");
  fail_unless(v.event(0).qoe.dropped_frames == std::optional<int64_t>(3) &&
                  v.event(0).qoe.frames_per_second == std::optional<int64_t>(25),
              "the changed values are not on the pauseStart");
  v.at(2000);
  v.play_requested(1.5);
  assert_events(v.data(1.5), "play");
  fail_unless(v.event(0).qoe.empty(), "unchanged values sent again");
  v.tracker.set_dropped_frames(5);
  v.at(2500);
  assert_events(v.paused(2.0), "pauseStart");
  fail_unless(v.event(0).qoe.dropped_frames == std::optional<int64_t>(5) &&
                  !v.event(0).qoe.frames_per_second,
              "not only the changed value");
}
GST_END_TEST;

// A bitrate that really changes gives bitrateChange with the new value;
// small moves and changes within 2 s of the last one do not.
GST_START_TEST(test_bitrate_change) {
  Viewing v;
  v.start();
  assert_events(v.bitrate(1000000, 0.0), "");
  v.at(500);
  assert_events(v.paused(0.5), "pauseStart");
  fail_unless(v.event(0).qoe.bitrate == std::optional<int64_t>(1000000),
              "the first bitrate is not on the next qoe event");
  v.at(1000);
  assert_events(v.bitrate(1050000, 1.0), "");
  v.at(1500);
  assert_events(v.bitrate(2000000, 1.5), "bitrateChange");
  fail_unless(v.event(0).qoe.bitrate == std::optional<int64_t>(2000000),
              "no new bitrate");
  v.at(2500);
  assert_events(v.bitrate(4000000, 2.5), "");
  v.at(3600);
  assert_events(v.bitrate(4000000, 3.6), "bitrateChange");
}
GST_END_TEST;

// An error's EOS (failing elements push one) is no completion: the stop
// that follows ends the session.
GST_START_TEST(test_eos_after_error_is_no_completion) {
  Viewing v;
  v.start();
  v.at(2000);
  assert_events(v.error(2.0, "resource.read", "external"), "error");
  assert_events(v.eos(2.0), "");
  fail_unless(v.tracker.phase() == Phase::kOpen, "the EOS closed the session");
  assert_events(v.stopped(2.0), "sessionEnd");
}
GST_END_TEST;

// §4.3: a start that never gets data expires after idle_timeout, and resumes
// when the data comes.
GST_START_TEST(test_start_without_data_expires) {
  Viewing v;
  v.play_requested();
  v.at(kIdle);
  assert_events(v.deadline(0, 0.0), "sessionEnd");
  v.at(kIdle + 500);
  assert_events(v.data(0.0), "sessionStart play");
  fail_unless(v.event(0).params.find("media.resume") != nullptr, "no media.resume");
}
GST_END_TEST;

// §4.2: sessionEnd once at a stop; nothing of the old session is reported
// after it, and the next intent to play is a new viewing.
GST_START_TEST(test_stop_ends_once_and_play_starts_anew) {
  Viewing v;
  v.start();
  v.at(5000);
  assert_events(v.stopped(5.0), "sessionEnd");
  fail_unless(v.tracker.phase() == Phase::kEnded, "phase %s",
              tracker_phase_name(v.tracker.phase()));
  assert_events(v.stopped(5.0), "");
  assert_events(v.data(5.0), "");
  assert_events(v.ping(5.0), "");
  fail_unless(v.tracker.next_deadline_ms() == -1, "a deadline after the stop");
  v.at(9000);
  v.info.params.set("media.id", "movie-2");
  assert_events(v.play_requested(), "sessionStart");
  fail_unless(params_are(v.event(0).params, v.info.params, false),
              "the new session's params");
  assert_events(v.data(0.0), "play");
}
GST_END_TEST;

// §4.2: after sessionComplete, a stop sends no sessionEnd.
GST_START_TEST(test_stop_after_eos_sends_no_session_end) {
  Viewing v;
  v.start();
  v.at(120000);
  assert_events(v.eos(kLength), "sessionComplete");
  v.at(121000);
  assert_events(v.stopped(kLength), "");
}
GST_END_TEST;

// §7: pings while the session is open (also before the first play and while
// paused), never before or after it, and with no params.
GST_START_TEST(test_ping_only_while_open) {
  Viewing v;
  assert_events(v.ping(0.0), "");
  v.play_requested();
  v.at(1000);
  assert_events(v.ping(0.0), "ping");
  fail_unless(v.event(0).params.empty(), "ping with params");
  assert_events(v.data(0.0), "play");
  v.at(2000);
  assert_events(v.paused(1.0), "pauseStart");
  v.at(10000);
  assert_events(v.ping(1.0), "ping");
  v.at(11000);
  assert_events(v.stopped(1.0), "sessionEnd");
  v.at(20000);
  assert_events(v.ping(1.0), "");
}
GST_END_TEST;

// Issue 4: the stall deadline is the last data plus the threshold; a deadline
// reached with newer data re-arms instead of stalling.
GST_START_TEST(test_stall_deadline_follows_the_last_data) {
  Viewing v;
  v.start();
  fail_unless(v.tracker.next_deadline_ms() == mono(kThreshold),
              "deadline %" G_GINT64_FORMAT, v.tracker.next_deadline_ms());
  v.at(2000);
  assert_events(v.data(2.0), "");
  fail_unless(v.tracker.next_deadline_ms() == mono(2000 + kThreshold),
              "not moved by data");
  // Woken early: nothing.
  v.at(4000);
  assert_events(v.deadline(2000, 4.0), "");
  // On time, but data came since the deadline was armed.
  v.at(5000);
  assert_events(v.deadline(4500, 4.5), "");
  fail_unless(v.tracker.next_deadline_ms() == mono(4500 + kThreshold), "not re-armed");
  fail_unless(v.tracker.activity() == Activity::kPlaying, "not playing");
}
GST_END_TEST;

// A stall is a bufferStart, and the data that ends it a play; from then on
// the idle time counts from the last data.
GST_START_TEST(test_stall_gives_buffer_start_then_play) {
  Viewing v;
  v.start();
  v.at(1000);
  v.data(1.0);
  v.at(1000 + kThreshold);
  assert_events(v.deadline(1000, 1.0), "bufferStart");
  fail_unless(v.tracker.activity() == Activity::kBuffering, "not buffering");
  fail_unless(v.tracker.next_deadline_ms() == mono(1000 + kIdle),
              "idle deadline %" G_GINT64_FORMAT, v.tracker.next_deadline_ms());
  v.at(7000);
  assert_events(v.data(1.0), "play");
  fail_unless(v.tracker.next_deadline_ms() == mono(7000 + kThreshold),
              "stall not re-armed");
}
GST_END_TEST;

// §4.3: a pause longer than idle_timeout ends the session; playing again
// opens a new one with media.resume and the original params, then play.
GST_START_TEST(test_idle_expiry_after_pause_resumes) {
  Viewing v;
  v.start();
  v.at(1000);
  assert_events(v.paused(1.0), "pauseStart");
  fail_unless(v.tracker.next_deadline_ms() == mono(1000 + kIdle), "idle deadline");
  v.at(1000 + kIdle - 1);
  assert_events(v.deadline(0, 1.0), "");
  v.at(1000 + kIdle);
  assert_events(v.deadline(0, 1.0), "sessionEnd");
  fail_unless(v.tracker.phase() == Phase::kExpired, "phase %s",
              tracker_phase_name(v.tracker.phase()));
  fail_unless(v.tracker.next_deadline_ms() == -1, "a deadline after expiry");
  assert_events(v.ping(1.0), "");
  v.at(100000);
  assert_events(v.play_requested(1.0), "");
  assert_events(v.data(1.0), "sessionStart play");
  fail_unless(params_are(v.event(0).params, v.info.params, true), "resume params");
  fail_unless(v.event(0).playhead == 1.0, "resume playhead %f", v.event(0).playhead);
  fail_unless(v.tracker.phase() == Phase::kOpen, "not open again");
  fail_unless(v.tracker.activity() == Activity::kPlaying, "not playing");
}
GST_END_TEST;

// After expiry a stop has nothing left to end.
GST_START_TEST(test_stop_after_expiry_sends_nothing) {
  Viewing v;
  v.start();
  v.at(1000);
  v.paused(1.0);
  v.at(1000 + kIdle);
  assert_events(v.deadline(0, 1.0), "sessionEnd");
  assert_events(v.stopped(1.0), "");
}
GST_END_TEST;

// The idle time runs from when the viewer stopped watching: a seek during a
// pause, or a pause during a seek, does not restart it.
GST_START_TEST(test_seek_does_not_restart_idle_time) {
  Viewing v;
  v.start();
  v.at(1000);
  v.paused(1.0);
  v.at(30000);
  assert_events(v.seek_started(1.0), "");
  fail_unless(v.tracker.next_deadline_ms() == mono(1000 + kIdle),
              "restarted by the seek");
  v.at(1000 + kIdle);
  assert_events(v.deadline(0, 1.0), "sessionEnd");
}
GST_END_TEST;

GST_START_TEST(test_pause_during_seek_does_not_restart_idle_time) {
  Viewing v;
  v.start();
  v.at(1000);
  assert_events(v.seek_started(1.0), "pauseStart");
  v.at(2000);
  assert_events(v.paused(1.0), "");
  fail_unless(v.tracker.next_deadline_ms() == mono(1000 + kIdle),
              "restarted by the pause");
}
GST_END_TEST;

// A seek during rebuffering: the bufferStart stays in force (no pauseStart),
// the idle time still runs from the bufferStart, and the landing waits for
// the buffer.
GST_START_TEST(test_seek_during_buffering) {
  Viewing v;
  v.start();
  v.at(1000);
  assert_events(v.buffering(20, 1.0), "bufferStart");
  v.at(5000);
  assert_events(v.seek_started(1.0), "");
  fail_unless(v.tracker.activity() == Activity::kSeeking, "not seeking");
  fail_unless(v.tracker.next_deadline_ms() == mono(1000 + kIdle),
              "restarted by the seek");
  v.tracker.seek_landed();
  assert_events(v.data(30.0), "");
  v.at(6000);
  assert_events(v.buffering(100, 30.0), "");
  assert_events(v.data(30.0), "play");
}
GST_END_TEST;

// A seek before the first play (an application that seeks at start-up) is
// part of the start: nothing to pause, the first play at the landing.
GST_START_TEST(test_seek_before_first_play) {
  Viewing v;
  v.play_requested();
  v.at(100);
  assert_events(v.seek_started(0.0), "");
  assert_events(v.data(0.0), "");
  v.tracker.seek_landed();
  v.at(300);
  assert_events(v.data(45.0), "play");
  fail_unless(v.event(0).playhead == 45.0, "play playhead %f", v.event(0).playhead);
}
GST_END_TEST;

// §4.4: a stall longer than idle_timeout expires too, from the last data.
GST_START_TEST(test_long_stall_expires) {
  Viewing v;
  v.start();
  v.at(kThreshold);
  assert_events(v.deadline(0, 0.0), "bufferStart");
  v.at(kIdle);
  assert_events(v.deadline(0, 0.0), "sessionEnd");
  fail_unless(v.tracker.phase() == Phase::kExpired, "not expired");
  v.at(kIdle + 5000);
  assert_events(v.data(0.0), "sessionStart play");
  fail_unless(params_are(v.event(0).params, v.info.params, true), "resume params");
}
GST_END_TEST;

// Woken only after the stall has already outlasted idle_timeout (a suspended
// machine): both at once, 1 ms apart.
GST_START_TEST(test_stall_found_late_expires_at_once) {
  Viewing v;
  v.start();
  v.at(kIdle + 10000);
  assert_events(v.deadline(0, 0.0), "bufferStart sessionEnd");
  fail_unless(v.event(1).ts_ms == v.event(0).ts_ms + 1, "not 1 ms apart");
}
GST_END_TEST;

// After the end, a seek back brings the viewer back: a new viewing (no
// media.resume) once the seek lands and data flows.
GST_START_TEST(test_replay_after_eos) {
  Viewing v;
  v.start();
  v.at(120000);
  assert_events(v.eos(kLength), "sessionComplete");
  v.at(125000);
  assert_events(v.seek_started(kLength), "");
  assert_events(v.data(0.0), "");
  v.tracker.seek_landed();
  fail_unless(v.tracker.play_due(), "no play due after the seek back");
  assert_events(v.data(0.0), "sessionStart play");
  fail_unless(params_are(v.event(0).params, v.info.params, false), "replay params");
  fail_unless(v.tracker.phase() == Phase::kOpen, "not open again");
}
GST_END_TEST;

// Without a seek, data after EOS is no new viewing.
GST_START_TEST(test_data_after_eos_is_silent) {
  Viewing v;
  v.start();
  v.at(120000);
  v.eos(kLength);
  fail_unless(!v.tracker.play_due(), "play due after EOS");
  assert_events(v.data(kLength), "");
}
GST_END_TEST;

// §8: a live playhead is the UTC second of the day of the event's ts, whatever
// the stream position, and wraps to 0 at midnight (take() checks every event).
GST_START_TEST(test_live_playhead_is_second_of_day) {
  Viewing v(test_options(), live_info(), kBeforeMidnight);
  assert_events(v.play_requested(0.0), "sessionStart");
  fail_unless(v.event(0).playhead == 86398.5, "playhead %f", v.event(0).playhead);
  v.at(1000);
  assert_events(v.data(1.0), "play");
  fail_unless(v.event(0).playhead == 86399.5, "playhead %f", v.event(0).playhead);
  v.at(2000);
  assert_events(v.ping(2.0), "ping");
  fail_unless(v.event(0).playhead == 0.5, "playhead %f after midnight",
              v.event(0).playhead);
  // Two events of one instant: the second's ts, and so its playhead, is 1 ms on.
  v.at(3000);
  assert_events(v.paused(3.0), "pauseStart");
  assert_events(v.ping(3.0), "ping");
  fail_unless(v.event(0).playhead == 1.501, "playhead %f", v.event(0).playhead);
}
GST_END_TEST;

// A VOD playhead the pipeline cannot give (negative, NaN) is sent as 0.
GST_START_TEST(test_vod_bad_playhead_is_zero) {
  Viewing v;
  v.start();
  v.at(1000);
  assert_events(v.ping(-3.0), "ping");
  fail_unless(v.event(0).playhead == 0.0, "playhead %f", v.event(0).playhead);
  v.at(2000);
  assert_events(v.ping(std::numeric_limits<double>::quiet_NaN()), "ping");
  fail_unless(v.event(0).playhead == 0.0, "playhead %f", v.event(0).playhead);
}
GST_END_TEST;

GST_START_TEST(test_zero_stall_threshold_disables_stalls) {
  Viewing v(test_options(0, kIdle));
  v.start();
  fail_unless(v.tracker.next_deadline_ms() == -1, "a stall deadline");
  v.at(kIdle * 10);
  assert_events(v.deadline(0, 0.0), "");
  fail_unless(v.tracker.activity() == Activity::kPlaying, "not playing");
}
GST_END_TEST;

GST_START_TEST(test_zero_idle_timeout_disables_expiry) {
  Viewing v(test_options(kThreshold, 0));
  v.start();
  v.at(1000);
  v.paused(1.0);
  fail_unless(v.tracker.next_deadline_ms() == -1, "an idle deadline");
  v.at(24 * 3600 * 1000);
  assert_events(v.deadline(0, 1.0), "");
  fail_unless(v.tracker.phase() == Phase::kOpen, "expired");
}
GST_END_TEST;

// The names go into logs and debug output: one per value, none left as "?".
GST_START_TEST(test_names_cover_every_value) {
  fail_unless_equals_string(tracker_phase_name(Phase::kNone), "none");
  fail_unless_equals_string(tracker_phase_name(Phase::kOpen), "open");
  fail_unless_equals_string(tracker_phase_name(Phase::kExpired), "expired");
  fail_unless_equals_string(tracker_phase_name(Phase::kCompleted), "completed");
  fail_unless_equals_string(tracker_phase_name(Phase::kEnded), "ended");
  fail_unless_equals_string(tracker_activity_name(Activity::kStarting), "starting");
  fail_unless_equals_string(tracker_activity_name(Activity::kPlaying), "playing");
  fail_unless_equals_string(tracker_activity_name(Activity::kPaused), "paused");
  fail_unless_equals_string(tracker_activity_name(Activity::kBuffering), "buffering");
  fail_unless_equals_string(tracker_activity_name(Activity::kSeeking), "seeking");
}
GST_END_TEST;

static Suite *playback_tracker_suite(void) {
  Suite *s = suite_create("client-playback-tracker");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_play_requested_opens_the_session);
  tcase_add_test(tc, test_second_play_request_does_not_reopen);
  tcase_add_test(tc, test_no_play_before_play_requested);
  tcase_add_test(tc, test_first_data_gives_one_play);
  tcase_add_test(tc, test_events_of_one_instant_are_one_ms_apart);
  tcase_add_test(tc, test_pause_and_resume);
  tcase_add_test(tc, test_pause_before_first_play_is_silent);
  tcase_add_test(tc, test_initial_buffering_delays_the_first_play);
  tcase_add_test(tc, test_rebuffering_gives_buffer_start_then_play);
  tcase_add_test(tc, test_pause_during_buffering_is_no_pause);
  tcase_add_test(tc, test_seek_while_playing);
  tcase_add_test(tc, test_seek_while_paused);
  tcase_add_test(tc, test_seek_buffering_is_part_of_the_seek);
  tcase_add_test(tc, test_eos_completes_once);
  tcase_add_test(tc, test_vod_playhead_inside_length_is_kept);
  tcase_add_test(tc, test_error_keeps_the_session_open);
  tcase_add_test(tc, test_error_then_idle_expires);
  tcase_add_test(tc, test_eos_after_error_is_no_completion);
  tcase_add_test(tc, test_intent_before_playing);
  tcase_add_test(tc, test_qoe_time_to_start);
  tcase_add_test(tc, test_qoe_sent_when_changed);
  tcase_add_test(tc, test_bitrate_change);
  tcase_add_test(tc, test_start_without_data_expires);
  tcase_add_test(tc, test_stop_ends_once_and_play_starts_anew);
  tcase_add_test(tc, test_stop_after_eos_sends_no_session_end);
  tcase_add_test(tc, test_ping_only_while_open);
  tcase_add_test(tc, test_stall_deadline_follows_the_last_data);
  tcase_add_test(tc, test_stall_gives_buffer_start_then_play);
  tcase_add_test(tc, test_idle_expiry_after_pause_resumes);
  tcase_add_test(tc, test_stop_after_expiry_sends_nothing);
  tcase_add_test(tc, test_seek_does_not_restart_idle_time);
  tcase_add_test(tc, test_pause_during_seek_does_not_restart_idle_time);
  tcase_add_test(tc, test_seek_during_buffering);
  tcase_add_test(tc, test_seek_before_first_play);
  tcase_add_test(tc, test_long_stall_expires);
  tcase_add_test(tc, test_stall_found_late_expires_at_once);
  tcase_add_test(tc, test_replay_after_eos);
  tcase_add_test(tc, test_data_after_eos_is_silent);
  tcase_add_test(tc, test_live_playhead_is_second_of_day);
  tcase_add_test(tc, test_vod_bad_playhead_is_zero);
  tcase_add_test(tc, test_zero_stall_threshold_disables_stalls);
  tcase_add_test(tc, test_zero_idle_timeout_disables_expiry);
  tcase_add_test(tc, test_names_cover_every_value);
  return s;
}

GST_CHECK_MAIN(playback_tracker);
