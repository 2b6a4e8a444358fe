// The application's calls through the session state machine
// (gst/client/playback-tracker.h): ad breaks, ads, chapters, player states,
// errors and the end of a session (spec §5–§8, §11, timeline 1), and the
// pre-roll wait of the first play. A made-up clock drives every test.
#include <gst/check/gstcheck.h>

#include <cstddef>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "tracker-fixture.h"

using mediaanalytics::CallResult;
using mediaanalytics::CustomMetadata;

using Grid = TrackerStep::PingGrid;

namespace {

constexpr int64_t kWait = 250;

// Timeline 1's content.
SessionInfo vod_info() {
  SessionInfo info;
  info.params.set("media.id", "VA API Sample Player")
      .set("media.length", 60.3333333333333)
      .set("media.contentType", "VOD")
      .set("media.playerName", "sample-html5-api-player")
      .set("media.channel", "sample-channel");
  info.length = 60.3333333333333;
  return info;
}

// One viewing driven by the application and the player, on a clock the test
// moves with at(). Each observation or call returns the type names of the
// events it gave ("adSkip adBreakComplete"), keeps the step (and for a call
// whether it was accepted) and checks §6 #11 for every event.
struct Ads : TrackerFixture {
  explicit Ads(int64_t preroll_wait_ms = 0)
      : TrackerFixture(test_options(kThreshold, kIdle, preroll_wait_ms), vod_info(),
                       kUtc0, Checks::kOrder) {}

  // The application.
  std::string ad_break_start(double playhead) {
    Params params;
    params.set("media.ad.podIndex", int64_t{1}).set("media.ad.podSecond", playhead);
    return call(tracker.ad_break_start(now, std::move(params), playhead));
  }
  std::string ad_start(double playhead) {
    Params params;
    params.set("media.ad.id", "003")
        .set("media.ad.length", 8.0)
        .set("media.ad.podPosition", int64_t{1})
        .set("media.ad.playerName", "Sample Player");
    return call(tracker.ad_start(now, std::move(params), {{"campaign", "Q3"}}, playhead));
  }
  std::string ad_complete(double playhead) {
    return call(tracker.ad_complete(now, playhead));
  }
  std::string ad_skip(double playhead) { return call(tracker.ad_skip(now, playhead)); }
  std::string ad_break_complete(double playhead) {
    return call(tracker.ad_break_complete(now, playhead));
  }
  std::string chapter_start(double playhead) {
    Params params;
    params.set("media.chapter.index", int64_t{2})
        .set("media.chapter.offset", 10.0)
        .set("media.chapter.length", 30.0);
    return call(
        tracker.chapter_start(now, std::move(params), {{"scene", "intro"}}, playhead));
  }
  std::string chapter_complete(double playhead) {
    return call(tracker.chapter_complete(now, playhead));
  }
  std::string chapter_skip(double playhead) {
    return call(tracker.chapter_skip(now, playhead));
  }
  std::string state_start(const std::string &name, double playhead) {
    return call(tracker.state_start(now, name, playhead));
  }
  std::string state_end(const std::string &name, double playhead) {
    return call(tracker.state_end(now, name, playhead));
  }
  std::string track_error(double playhead) {
    return call(tracker.track_error(now, "cdn-503", "external", playhead));
  }
  std::string end_session(double playhead) {
    return call(tracker.end_session(now, playhead));
  }

  // With a pre-roll wait: play requested at 0 and data at 10 ms, so the first
  // play is held; the clock is then at 100 ms, still within the wait.
  void hold_play(double playhead) {
    play_requested();
    at(10);
    data(playhead);
    at(100);
  }

  // Watching from 0 on, and 10 s in a break opens, awaiting its first ad.
  void start_awaiting_ad() {
    start();
    at(10000);
    ad_break_start(10.0);
  }

  // Watching from 0 on, and 21 s in a break opens with its first ad.
  void start_in_an_ad() {
    start();
    at(21000);
    ad_break_start(21.0);
    ad_start(21.0);
  }

  // The reported playheads of the latest step ("21 21").
  std::string playheads() const { return join(step.events, false); }

  // Every event sent but pings, as "type@playhead".
  std::string history() const { return join(sent, true); }

  bool accepted = true;
  std::string reason;

 private:
  // The playheads of `events`, space-separated; `as_history`: pings left
  // out and each playhead after its event's type name and "@".
  static std::string join(const std::vector<Event> &events, bool as_history) {
    std::string joined;
    for (const Event &event : events) {
      if (as_history && event.type == EventType::kPing)
        continue;
      char text[64];
      if (as_history)
        std::snprintf(text, sizeof text, "%s@%g", event_type_name(event.type),
                      event.playhead);
      else
        std::snprintf(text, sizeof text, "%g", event.playhead);
      if (!joined.empty())
        joined += ' ';
      joined += text;
    }
    return joined;
  }

  std::string call(CallResult result) {
    accepted = result.accepted;
    reason = result.reason;
    if (accepted)
      fail_unless(reason.empty(), "accepted with a reason: %s", reason.c_str());
    else
      fail_unless(!reason.empty() && result.step.events.empty(),
                  "rejected without a reason or with events");
    return take(std::move(result.step));
  }
};

// Macros, so that a failure names the test's line; what is compared as a
// string is held in a local, as fail_unless_equals_string() keeps the
// pointer it is given.
#define assert_play_ts(v, i, expected)                                       \
  fail_unless((v).event(i).ts_ms == (expected), "play ts %" G_GINT64_FORMAT, \
              (v).event(i).ts_ms)

#define assert_playheads(v, expected)                        \
  do {                                                       \
    const std::string playheads_ = (v).playheads();          \
    fail_unless_equals_string(playheads_.c_str(), expected); \
  } while (0)

#define assert_grid(v, expected)                                        \
  fail_unless((v).step.ping_grid == (expected), "ping_grid %d, not %d", \
              static_cast<int>((v).step.ping_grid), static_cast<int>(expected))

#define assert_rejected(v, call)                                                 \
  do {                                                                           \
    const std::string events_ = (v).call;                                        \
    fail_unless(!(v).accepted, #call " accepted, giving '%s'", events_.c_str()); \
  } while (0)

// Every call of the application is refused, with a reason and no event.
void assert_every_call_rejected(Ads &v) {
  const std::size_t sent = v.sent.size();
  assert_rejected(v, ad_break_start(1.0));
  assert_rejected(v, ad_start(1.0));
  assert_rejected(v, ad_complete(1.0));
  assert_rejected(v, ad_skip(1.0));
  assert_rejected(v, ad_break_complete(1.0));
  assert_rejected(v, chapter_start(1.0));
  assert_rejected(v, chapter_complete(1.0));
  assert_rejected(v, chapter_skip(1.0));
  assert_rejected(v, state_start("mute", 1.0));
  assert_rejected(v, state_end("mute", 1.0));
  assert_rejected(v, track_error(1.0));
  assert_rejected(v, end_session(1.0));
  fail_unless(v.sent.size() == sent, "a rejected call sent something");
}

}  // namespace

// Timeline 1 through the API, its times in ms for its seconds: the pre-roll
// holds the first play although data flowed, the ads ping on their own grid,
// the playhead stays at the content position in both breaks, and no play
// follows the mid-roll.
GST_START_TEST(test_timeline_1) {
  Ads v(kWait);
  assert_events(v.play_requested(0.0), "sessionStart");
  v.at(5);
  assert_events(v.data(0.0), "");
  v.at(10);
  assert_events(v.ad_break_start(0.0), "adBreakStart");
  assert_events(v.ad_start(0.0), "adStart");
  assert_grid(v, Grid::kAd);
  for (int64_t t : {1000, 2000, 3000}) {
    v.at(t);
    assert_events(v.data(t / 1000.0), "");
    assert_events(v.ping(t / 1000.0), "ping");
    assert_playheads(v, "0");
  }
  v.at(15000);
  assert_events(v.ad_complete(15.0), "adComplete");
  assert_events(v.ad_start(15.0), "adStart");
  v.at(20000);
  assert_events(v.ping(20.0), "ping");
  assert_playheads(v, "0");
  v.at(22000);
  assert_events(v.ad_complete(22.0), "adComplete");
  assert_events(v.ad_break_complete(0.0), "adBreakComplete play");
  assert_playheads(v, "0 0");
  v.at(30000);
  assert_events(v.ping(8.0), "ping");
  v.at(33000);
  assert_events(v.buffering(0, 11.0), "bufferStart");
  v.at(36000);
  assert_events(v.buffering(100, 11.0), "");
  assert_events(v.data(11.0), "play");
  v.at(40000);
  assert_events(v.ping(15.0), "ping");
  v.at(46000);
  assert_events(v.ad_break_start(21.0), "adBreakStart");
  assert_events(v.ad_start(21.0), "adStart");
  v.at(50000);
  assert_events(v.data(25.0), "");
  assert_events(v.ping(25.0), "ping");
  assert_playheads(v, "21");
  v.at(54000);
  assert_events(v.ad_complete(29.0), "adComplete");
  assert_events(v.ad_break_complete(21.0), "adBreakComplete");
  v.at(60000);
  assert_events(v.ping(27.0), "ping");
  v.at(64000);
  assert_events(v.paused(31.0), "pauseStart");
  v.at(70000);
  assert_events(v.ping(31.0), "ping");
  v.at(74000);
  assert_events(v.play_requested(31.0), "");
  assert_events(v.data(31.0), "play");
  v.at(80000);
  assert_events(v.ping(37.0), "ping");
  v.at(88000);
  assert_events(v.eos(45.0), "sessionComplete");
  const std::string history = v.history();
  fail_unless_equals_string(history.c_str(),
                            "sessionStart@0 adBreakStart@0 adStart@0 adComplete@0 "
                            "adStart@0 adComplete@0 adBreakComplete@0 play@0 "
                            "bufferStart@11 play@11 adBreakStart@21 adStart@21 "
                            "adComplete@21 adBreakComplete@21 pauseStart@31 play@31 "
                            "sessionComplete@45");
}
GST_END_TEST;

// §6 #2: data flowed within the wait, yet no play precedes the pre-roll; the
// play comes with adBreakComplete.
GST_START_TEST(test_preroll_holds_the_first_play) {
  Ads v(kWait);
  assert_events(v.play_requested(), "sessionStart");
  v.at(10);
  assert_events(v.data(0.0), "");
  v.at(100);
  assert_events(v.ad_break_start(0.0), "adBreakStart");
  assert_events(v.ad_start(0.0), "adStart");
  v.at(kWait);
  assert_events(v.deadline(kWait, 0.0), "");
  v.at(4000);
  assert_events(v.data(4.0), "");
  assert_events(v.ad_complete(4.0), "adComplete");
  v.at(5000);
  assert_events(v.ad_break_complete(0.0), "adBreakComplete play");
  assert_playheads(v, "0 0");
  assert_play_ts(v, 1, kUtc0 + 5001);
}
GST_END_TEST;

// No pre-roll within the wait (counted from the first data): the play goes
// out at the deadline, stamped when the data came, with the data's playhead.
GST_START_TEST(test_held_play_goes_out_at_the_deadline) {
  Ads v(kWait);
  assert_events(v.play_requested(), "sessionStart");
  v.at(10);
  assert_events(v.data(0.5), "");
  fail_unless(v.tracker.next_deadline_ms() == mono(10 + kWait),
              "deadline %" G_GINT64_FORMAT, v.tracker.next_deadline_ms());
  v.at(10 + kWait - 1);
  assert_events(v.deadline(10 + kWait - 1, 0.7), "");
  v.at(10 + kWait);
  assert_events(v.deadline(10 + kWait, 0.74), "play");
  assert_play_ts(v, 0, kUtc0 + 10);
  assert_playheads(v, "0.5");
}
GST_END_TEST;

// Anything reported within the wait lets the held play out first.
GST_START_TEST(test_pause_within_the_wait_releases_the_play_first) {
  Ads v(kWait);
  v.hold_play(0.5);
  assert_events(v.paused(0.6), "play pauseStart");
  assert_play_ts(v, 0, kUtc0 + 10);
  assert_playheads(v, "0.5 0.6");
}
GST_END_TEST;

GST_START_TEST(test_eos_within_the_wait_releases_the_play_first) {
  Ads v(kWait);
  v.hold_play(0.5);
  assert_events(v.eos(0.6), "play sessionComplete");
  assert_play_ts(v, 0, kUtc0 + 10);
}
GST_END_TEST;

GST_START_TEST(test_call_within_the_wait_releases_the_play_first) {
  Ads v(kWait);
  v.hold_play(0.5);
  assert_events(v.state_start("mute", 0.6), "play statesUpdate");
}
GST_END_TEST;

// A pre-roll announced within the wait: the held play is dropped, for good.
GST_START_TEST(test_break_within_the_wait_drops_the_held_play) {
  Ads v(kWait);
  v.hold_play(0.0);
  assert_events(v.ad_break_start(0.0), "adBreakStart");
  fail_unless(v.tracker.next_deadline_ms() != mono(kWait), "still waiting");
  v.at(kWait);
  assert_events(v.deadline(kWait, 0.0), "");
  assert_events(v.ad_start(0.0), "adStart");
  v.at(1000);
  assert_events(v.ping(0.0), "ping");
  assert_events(v.ad_skip(0.0), "adSkip");
  assert_events(v.ad_break_complete(0.0), "adBreakComplete play");
}
GST_END_TEST;

// A break announced once the wait ran out but before deadline_reached() (the
// sending thread late on a loaded machine): the content had started, so it
// is a mid-roll after the play, not a pre-roll that drops it.
GST_START_TEST(test_break_after_the_wait_is_a_midroll) {
  Ads v(kWait);
  v.hold_play(0.5);
  v.at(10 + kWait);
  assert_events(v.ad_break_start(0.74), "play adBreakStart");
  assert_play_ts(v, 0, kUtc0 + 10);
  assert_playheads(v, "0.5 0.74");
}
GST_END_TEST;

// A long initial load (the session stamped at the intent, the data late):
// the wait still runs from the first data, so that a pre-roll announced
// when the content arrives comes first (§6 #2).
GST_START_TEST(test_late_data_still_waits) {
  Ads v(kWait);
  v.play_requested();
  v.at(kWait + 50);
  assert_events(v.data(0.0), "");
  fail_unless(v.tracker.next_deadline_ms() == mono(2 * kWait + 50),
              "deadline %" G_GINT64_FORMAT, v.tracker.next_deadline_ms());
  assert_events(v.ad_break_start(0.0), "adBreakStart");
}
GST_END_TEST;

// §6 #4: nothing between adBreakStart and its adStart, pings included.
GST_START_TEST(test_pings_suppressed_before_the_first_ad) {
  Ads v;
  v.start();
  v.at(10000);
  assert_events(v.ad_break_start(10.0), "adBreakStart");
  v.at(10500);
  assert_events(v.ping(10.5), "");
  assert_events(v.ad_start(10.0), "adStart");
  v.at(11500);
  assert_events(v.ping(11.5), "ping");
}
GST_END_TEST;

GST_START_TEST(test_pause_before_the_first_ad_is_not_sent) {
  Ads v;
  v.start_awaiting_ad();
  v.at(10100);
  assert_events(v.paused(10.1), "");
  assert_events(v.ad_start(10.0), "adStart");
}
GST_END_TEST;

GST_START_TEST(test_buffering_before_the_first_ad_is_not_sent) {
  Ads v;
  v.start_awaiting_ad();
  v.at(10100);
  assert_events(v.buffering(0, 10.1), "");
  assert_events(v.ad_start(10.0), "adStart");
}
GST_END_TEST;

// §6 #4 ("nothing should come between them"): an application call that
// would send an event between adBreakStart and its adStart is refused.
GST_START_TEST(test_calls_before_the_first_ad_are_rejected) {
  Ads v;
  v.start_awaiting_ad();
  assert_rejected(v, chapter_start(10.0));
  assert_rejected(v, state_start("mute", 10.0));
  assert_rejected(v, track_error(10.0));
  assert_events(v.ad_start(10.0), "adStart");
}
GST_END_TEST;

// §8: in a mid-roll every event keeps the content position where the break
// began, whatever the stream position says.
GST_START_TEST(test_midroll_playhead_frozen) {
  Ads v;
  v.start();
  v.at(21000);
  assert_events(v.ad_break_start(21.0), "adBreakStart");
  v.at(21001);
  assert_events(v.ad_start(21.5), "adStart");
  v.at(22000);
  assert_events(v.ping(22.0), "ping");
  assert_playheads(v, "21");
  assert_events(v.chapter_start(22.1), "chapterStart");
  assert_events(v.state_start("mute", 22.2), "statesUpdate");
  assert_events(v.track_error(22.3), "error");
  v.at(23000);
  assert_events(v.paused(23.0), "pauseStart");
  v.at(24000);
  v.play_requested(23.0);
  assert_events(v.data(23.0), "play");
  v.at(25000);
  assert_events(v.buffering(0, 25.0), "bufferStart");
  v.at(26000);
  assert_events(v.chapter_complete(26.0), "chapterComplete");
  assert_events(v.ad_complete(26.0), "adComplete");
  assert_events(v.ad_break_complete(26.0), "adBreakComplete");
  const std::string history = v.history();
  fail_unless_equals_string(history.c_str(),
                            "sessionStart@0 play@0 adBreakStart@21 adStart@21 "
                            "chapterStart@21 statesUpdate@21 error@21 "
                            "pauseStart@21 play@21 bufferStart@21 chapterComplete@21 "
                            "adComplete@21 adBreakComplete@21");
}
GST_END_TEST;

// After the break the playhead follows the stream again.
GST_START_TEST(test_playhead_moves_after_the_break) {
  Ads v;
  v.start_in_an_ad();
  v.at(29000);
  v.ad_complete(29.0);
  v.ad_break_complete(29.0);
  v.at(30000);
  assert_events(v.ping(22.0), "ping");
  assert_playheads(v, "22");
}
GST_END_TEST;

// A break while one is open: its ad is skipped and it is closed first, at the
// old break's position, where the new one starts too.
GST_START_TEST(test_break_start_in_a_break_closes_it) {
  Ads v;
  v.start_in_an_ad();
  v.at(25000);
  assert_events(v.ad_break_start(25.0), "adSkip adBreakComplete adBreakStart");
  assert_playheads(v, "21 21 21");
  assert_grid(v, Grid::kMain);
}
GST_END_TEST;

// §6 #5: the next adStart completes the ad still open, back to back.
GST_START_TEST(test_ad_start_in_an_ad_completes_it) {
  Ads v;
  v.start_in_an_ad();
  v.at(29000);
  assert_events(v.ad_start(29.0), "adComplete adStart");
  assert_grid(v, Grid::kAd);
}
GST_END_TEST;

GST_START_TEST(test_break_complete_in_an_ad_skips_it) {
  Ads v;
  v.start_in_an_ad();
  v.at(25000);
  assert_events(v.ad_break_complete(25.0), "adSkip adBreakComplete");
  assert_playheads(v, "21 21");
}
GST_END_TEST;

// §7: the ad grid from adStart, the main one again when the ad is over.
GST_START_TEST(test_ping_grid_ad_at_ad_start) {
  Ads v;
  v.start();
  v.at(21000);
  v.ad_break_start(21.0);
  assert_grid(v, Grid::kUnchanged);
  v.ad_start(21.0);
  assert_grid(v, Grid::kAd);
}
GST_END_TEST;

GST_START_TEST(test_ping_grid_main_at_ad_complete_and_skip) {
  Ads v;
  v.start_in_an_ad();
  assert_events(v.ad_complete(21.0), "adComplete");
  assert_grid(v, Grid::kMain);
  v.ad_start(21.0);
  assert_events(v.ad_skip(21.0), "adSkip");
  assert_grid(v, Grid::kMain);
  // The ad grid already stopped: nothing to change at the break's end.
  assert_events(v.ad_break_complete(21.0), "adBreakComplete");
  assert_grid(v, Grid::kUnchanged);
}
GST_END_TEST;

GST_START_TEST(test_ping_grid_main_at_break_complete_in_an_ad) {
  Ads v;
  v.start_in_an_ad();
  v.ad_break_complete(21.0);
  assert_grid(v, Grid::kMain);
}
GST_END_TEST;

GST_START_TEST(test_ping_grid_main_at_close_in_an_ad) {
  Ads v;
  v.start_in_an_ad();
  assert_events(v.eos(21.0), "adComplete adBreakComplete sessionComplete");
  assert_grid(v, Grid::kMain);
}
GST_END_TEST;

// §4.2: reaching the end completes what is open; chapterComplete first.
GST_START_TEST(test_session_complete_closes_the_chapter) {
  Ads v;
  v.start();
  v.at(5000);
  assert_events(v.chapter_start(5.0), "chapterStart");
  v.at(40000);
  assert_events(v.eos(40.0), "chapterComplete sessionComplete");
}
GST_END_TEST;

// A stop leaves what is open: the ad skipped, the break closed, the chapter
// skipped, in that order, before sessionEnd.
GST_START_TEST(test_stop_skips_the_ad_closes_the_break_skips_the_chapter) {
  Ads v;
  v.start();
  v.at(5000);
  v.chapter_start(5.0);
  v.at(21000);
  v.ad_break_start(21.0);
  v.ad_start(21.0);
  v.at(25000);
  assert_events(v.stopped(25.0), "adSkip adBreakComplete chapterSkip sessionEnd");
  fail_unless(v.step.session_closed, "not closed");
}
GST_END_TEST;

// §8: the closings of a break at the session's end are still the break's
// events: they keep its content position.
GST_START_TEST(test_closings_at_the_end_keep_the_break_playhead) {
  Ads v;
  v.start_in_an_ad();
  v.at(35000);
  assert_events(v.stopped(35.0), "adSkip adBreakComplete sessionEnd");
  fail_unless(v.event(0).playhead == 21.0, "adSkip playhead %g, not 21",
              v.event(0).playhead);
  fail_unless(v.event(1).playhead == 21.0, "adBreakComplete playhead %g, not 21",
              v.event(1).playhead);
}
GST_END_TEST;

GST_START_TEST(test_calls_rejected_before_the_session) {
  Ads v;
  assert_every_call_rejected(v);
}
GST_END_TEST;

// §4.2: after sessionEnd the session takes nothing more.
GST_START_TEST(test_end_session_closes_and_rejects_later_calls) {
  Ads v;
  v.start();
  v.at(5000);
  v.chapter_start(5.0);
  v.at(8000);
  assert_events(v.end_session(8.0), "chapterSkip sessionEnd");
  fail_unless(v.tracker.phase() == Phase::kEnded, "phase %d",
              static_cast<int>(v.tracker.phase()));
  v.at(9000);
  assert_every_call_rejected(v);
  assert_events(v.ping(9.0), "");
}
GST_END_TEST;

// §4.2: "If playback completed and you also want a hard close, send
// sessionComplete first and sessionEnd after it."
GST_START_TEST(test_end_session_after_complete_sends_session_end) {
  Ads v;
  v.start();
  v.at(40000);
  assert_events(v.eos(40.0), "sessionComplete");
  v.at(41000);
  assert_events(v.end_session(40.0), "sessionEnd");
  fail_unless(v.accepted, "rejected: %s", v.reason.c_str());
}
GST_END_TEST;

// §5.1: the error event with the application's id and source; the session
// stays open.
GST_START_TEST(test_track_error_gives_an_error_event) {
  Ads v;
  v.start();
  v.at(5000);
  assert_events(v.track_error(5.0), "error");
  const Value *id = v.event(0).params.find("media.errorId");
  const Value *source = v.event(0).params.find("media.errorSource");
  fail_unless(id != nullptr && *id == Value(std::string("cdn-503")), "media.errorId");
  fail_unless(source != nullptr && *source == Value(std::string("external")),
              "media.errorSource");
  fail_unless(v.tracker.session_is_open(), "the error closed the session");
}
GST_END_TEST;

// The params and custom metadata of the calls reach their events untouched.
GST_START_TEST(test_call_params_reach_the_events) {
  Ads v;
  v.start();
  v.at(21000);
  v.ad_break_start(21.0);
  const Value *pod = v.event(0).params.find("media.ad.podIndex");
  fail_unless(pod != nullptr && *pod == Value(int64_t{1}), "media.ad.podIndex");
  v.ad_start(21.0);
  const Value *ad = v.event(0).params.find("media.ad.id");
  fail_unless(ad != nullptr && *ad == Value(std::string("003")), "media.ad.id");
  fail_unless((v.event(0).custom == CustomMetadata{{"campaign", "Q3"}}), "ad custom");
  v.ad_break_complete(21.0);
  v.chapter_start(21.0);
  const Value *index = v.event(0).params.find("media.chapter.index");
  fail_unless(index != nullptr && *index == Value(int64_t{2}), "media.chapter.index");
  fail_unless((v.event(0).custom == CustomMetadata{{"scene", "intro"}}),
              "chapter custom");
}
GST_END_TEST;

// §11: one statesUpdate per state entered or left.
GST_START_TEST(test_states_update) {
  Ads v;
  v.start();
  v.at(1000);
  assert_events(v.state_start("mute", 1.0), "statesUpdate");
  fail_unless(v.event(0).states_start == std::vector<std::string>{"mute"} &&
                  v.event(0).states_end.empty(),
              "not mute started");
  assert_rejected(v, state_start("mute", 1.0));
  assert_events(v.state_end("mute", 1.0), "statesUpdate");
  fail_unless(v.event(0).states_end == std::vector<std::string>{"mute"} &&
                  v.event(0).states_start.empty(),
              "not mute ended");
  assert_rejected(v, state_end("mute", 1.0));
  assert_rejected(v, state_start("", 1.0));
}
GST_END_TEST;

// §4.3, §11: after an idle expiry the resumed session's sessionStart is
// followed by the states still active, then play.
GST_START_TEST(test_states_resent_after_idle_resume) {
  Ads v;
  v.start();
  v.at(1000);
  v.state_start("fullScreen", 1.0);
  v.state_start("mute", 1.0);
  v.state_start("closedCaptioning", 1.0);
  v.state_end("mute", 1.0);
  v.at(2000);
  assert_events(v.paused(2.0), "pauseStart");
  v.at(2000 + kIdle);
  assert_events(v.deadline(2000, 2.0), "sessionEnd");
  v.at(100000);
  v.play_requested(2.0);
  assert_events(v.data(2.0), "sessionStart statesUpdate play");
  const Value *resume = v.event(0).params.find("media.resume");
  fail_unless(resume != nullptr && *resume == Value(true), "no media.resume");
  const std::vector<std::string> active{"fullScreen", "closedCaptioning"};
  fail_unless(v.event(1).states_start == active && v.event(1).states_end.empty(),
              "the active states are not re-sent");
}
GST_END_TEST;

// Likewise for a new viewing after a stop.
GST_START_TEST(test_states_resent_after_a_new_session) {
  Ads v;
  v.start();
  v.at(1000);
  v.state_start("mute", 1.0);
  v.at(2000);
  v.stopped(2.0);
  v.at(3000);
  assert_events(v.play_requested(0.0), "sessionStart statesUpdate");
  fail_unless(v.event(1).states_start == std::vector<std::string>{"mute"},
              "mute is not re-sent");
}
GST_END_TEST;

static Suite *tracker_ads_suite(void) {
  Suite *s = suite_create("client-tracker-ads");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_timeline_1);
  tcase_add_test(tc, test_preroll_holds_the_first_play);
  tcase_add_test(tc, test_held_play_goes_out_at_the_deadline);
  tcase_add_test(tc, test_pause_within_the_wait_releases_the_play_first);
  tcase_add_test(tc, test_eos_within_the_wait_releases_the_play_first);
  tcase_add_test(tc, test_call_within_the_wait_releases_the_play_first);
  tcase_add_test(tc, test_break_within_the_wait_drops_the_held_play);
  tcase_add_test(tc, test_break_after_the_wait_is_a_midroll);
  tcase_add_test(tc, test_late_data_still_waits);
  tcase_add_test(tc, test_pings_suppressed_before_the_first_ad);
  tcase_add_test(tc, test_pause_before_the_first_ad_is_not_sent);
  tcase_add_test(tc, test_buffering_before_the_first_ad_is_not_sent);
  tcase_add_test(tc, test_calls_before_the_first_ad_are_rejected);
  tcase_add_test(tc, test_midroll_playhead_frozen);
  tcase_add_test(tc, test_playhead_moves_after_the_break);
  tcase_add_test(tc, test_break_start_in_a_break_closes_it);
  tcase_add_test(tc, test_ad_start_in_an_ad_completes_it);
  tcase_add_test(tc, test_break_complete_in_an_ad_skips_it);
  tcase_add_test(tc, test_ping_grid_ad_at_ad_start);
  tcase_add_test(tc, test_ping_grid_main_at_ad_complete_and_skip);
  tcase_add_test(tc, test_ping_grid_main_at_break_complete_in_an_ad);
  tcase_add_test(tc, test_ping_grid_main_at_close_in_an_ad);
  tcase_add_test(tc, test_session_complete_closes_the_chapter);
  tcase_add_test(tc, test_stop_skips_the_ad_closes_the_break_skips_the_chapter);
  tcase_add_test(tc, test_closings_at_the_end_keep_the_break_playhead);
  tcase_add_test(tc, test_calls_rejected_before_the_session);
  tcase_add_test(tc, test_end_session_closes_and_rejects_later_calls);
  tcase_add_test(tc, test_end_session_after_complete_sends_session_end);
  tcase_add_test(tc, test_track_error_gives_an_error_event);
  tcase_add_test(tc, test_call_params_reach_the_events);
  tcase_add_test(tc, test_states_update);
  tcase_add_test(tc, test_states_resent_after_idle_resume);
  tcase_add_test(tc, test_states_resent_after_a_new_session);
  return s;
}

GST_CHECK_MAIN(tracker_ads);
