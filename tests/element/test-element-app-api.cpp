// The application API of mediaanalytics (action signals and in-band custom
// events "mediaanalytics/<call>") on real pipelines reporting to the real
// collector process (tests/collector/collector-process.h). Every test asserts
// on the collector's record (what arrived, its findings), and on the return
// values and WARNING messages the application got.

#include "element-fixture.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <string>
#include <vector>

using namespace collector_test;
using namespace element_test;

namespace {

constexpr guint64 kSecond = GST_SECOND;

// The ping interval of the tests that check the pings against the first
// play or on their grid: 1 s natively. A ping is stamped when the sending
// thread gets to it, as late as the test process is slow: the interval grows
// with the time scale (so do the bounds, in proportion), up to the largest
// ad-ping-interval the element takes (10 s).
int64_t scaled_ping_ms() {
  return std::min<int64_t>(scaled_ms(1000), 10000);
}

guint64 ns_of_ms(int64_t ms) {
  return static_cast<guint64>(ms) * GST_MSECOND;
}

constexpr char kVideoTestSrc[] =
    "videotestsrc is-live=false ! video/x-raw,width=64,height=48,framerate=25/1";

// `source ! mediaanalytics name=ma ! fakesink name=sink sync=true`, reporting
// to `endpoint` with pings every `ping_interval` (1 s unless a test scales
// it) on content and in ads.
struct ApiPipeline : Pipeline {
  explicit ApiPipeline(const std::string &endpoint,
                       const std::string &source = kVideoTestSrc,
                       guint64 ping_interval = kSecond)
      : Pipeline(source + " ! mediaanalytics name=ma ! fakesink name=sink sync=true") {
    configure(endpoint, "app-api", ping_interval, "App API", ping_interval);
  }
};

// ---------------------------------------------------------------------------
// The calls (element-fixture.h), checked.

void expect_accepted(Pipeline &p, gboolean accepted, const char *what) {
  fail_unless(accepted, "%s was rejected: %s", what, p.observed.last_warning().c_str());
}

// A rejected call: FALSE, and exactly one WARNING from the element that names
// the call (and `mentions`, e.g. the offending key, when given). That nothing
// was sent is checked on the record (check_session).
template <typename Call>
void expect_rejected(Pipeline &p, const char *name, const char *mentions, Call call) {
  const size_t before = p.observed.warning_count();
  const gboolean accepted = call();
  fail_unless(!accepted, "%s (%s) was accepted", name, mentions ? mentions : "");
  fail_unless(p.observed.warning_count() == before + 1,
              "%s: %zu WARNINGs for one rejection: %s", name,
              p.observed.warning_count() - before, p.observed.all_warnings().c_str());
  const std::string w = p.observed.last_warning();
  fail_unless(w.find(name) != std::string::npos, "the WARNING does not name %s: %s", name,
              w.c_str());
  fail_unless(!mentions || w.find(mentions) != std::string::npos,
              "the WARNING for %s does not mention %s: %s", name, mentions, w.c_str());
}

const char kPod1[] =
    "break, media.ad.podIndex=(int)0, media.ad.podSecond=(double)0, "
    "media.ad.podFriendlyName=(string)ad_pod1";
const char kAd1[] =
    "ad, media.ad.id=(string)001, media.ad.name=(string)\"Ad 1\", "
    "media.ad.length=(int)15, media.ad.podPosition=(int)1, "
    "media.ad.playerName=(string)\"Sample Player\", media.ad.advertiser=(string)\"Ad "
    "Guys\", media.ad.campaignId=(string)1, media.ad.creativeId=(string)42, "
    "media.ad.siteId=(string)XYZ, media.ad.creativeURL=(string)https://example.com, "
    "media.ad.placementId=(string)sample_placement";
const char kAd1Custom[] =
    "custom, myCustomData1=(string)CustomData1, myCustomData2=(string)CustomData2";
const char kAd2[] =
    "ad, media.ad.id=(string)002, media.ad.name=(string)\"Ad 2\", "
    "media.ad.length=(double)7.5, media.ad.podPosition=(int)2, "
    "media.ad.playerName=(string)\"Sample Player\"";
const char kAd3[] =
    "ad, media.ad.id=(string)003, media.ad.length=(int)8, "
    "media.ad.podPosition=(int)1, media.ad.playerName=(string)\"Sample Player\"";
const char kChapter1[] =
    "chapter, media.chapter.index=(int)1, media.chapter.offset=(double)1.5, "
    "media.chapter.length=(double)0.3, media.chapter.friendlyName=(string)Intro";

// ---------------------------------------------------------------------------
// The record.

// All requests from the `n`th adBreakStart to its adBreakComplete (pings
// included) are at the playhead of that adBreakStart; returns it.
double frozen_playhead(const Lines &requests, int n) {
  const size_t from = index_of(requests, "adBreakStart", n);
  const size_t to = index_of(requests, "adBreakComplete", n);
  const double at = playhead_of(requests[from]);
  for (size_t i = from; i <= to; i++)
    fail_unless(playhead_of(requests[i]) == at,
                "break %d: %s at playhead %f, the break started at %f", n,
                requests[i].event_type().c_str(), playhead_of(requests[i]), at);
  return at;
}

// Spec §7: the pings of an ad are on a grid anchored at its adStart, the
// others on the main grid anchored at the sessionStart (`interval_ms`
// apart), each within 15 % of the interval (150 ms of 1 s) of a grid point;
// a grid point that fell in an ad is skipped, not caught up later.
void check_ping_grid(const Lines &requests, int64_t interval_ms) {
  const int64_t slack_ms = interval_ms * 15 / 100;
  const int64_t t0 = ts_of(requests[0]);
  int64_t ad_anchor = -1;  // the ts of the open ad's adStart
  for (const Line &r : requests) {
    const std::string type = r.event_type();
    if (type == "adStart")
      ad_anchor = ts_of(r);
    else if (type == "adComplete" || type == "adSkip" || type == "adBreakComplete")
      ad_anchor = -1;
    if (type != "ping")
      continue;
    const int64_t anchor = ad_anchor >= 0 ? ad_anchor : t0;
    const int64_t since = ts_of(r) - anchor;
    const int64_t off = since - (since + interval_ms / 2) / interval_ms * interval_ms;
    fail_unless(since >= interval_ms - slack_ms && std::llabs(off) <= slack_ms,
                "a ping at +%" G_GINT64_FORMAT " ms from the %s at +%" G_GINT64_FORMAT
                " ms is %" G_GINT64_FORMAT " ms off its %" G_GINT64_FORMAT " ms grid",
                ts_of(r) - t0, ad_anchor >= 0 ? "adStart" : "sessionStart", anchor - t0,
                off, interval_ms);
  }
}

}  // namespace

// ---------------------------------------------------------------------------

// Timeline 1, scaled down (1 s pings, short ads), driven by the action
// signals: a pre-roll of two ads announced at the start, a chapter, a
// mid-roll of one ad, a real pause, EOS.
GST_START_TEST(test_timeline_1) {
  const int64_t ping_ms = scaled_ping_ms();
  // Long enough for an ad ping.
  const int64_t ad_with_ping_ms = ping_ms * 12 / 10;
  Collector c(collector_args(/*ad_pings=*/true, ping_ms));
  ApiPipeline p(c.url(), kVideoTestSrc, ns_of_ms(ping_ms));
  // The pre-roll is announced within the preroll-wait (the default 250 ms
  // natively) of the first data, and so of the session's opening: the wait
  // grows with the test process's pace, as the time to announce it does.
  const int64_t preroll_wait_ms = scaled_ms(250);
  p.set_preroll_wait(ns_of_ms(preroll_wait_ms));
  p.set_state(GST_STATE_PLAYING);
  expect_accepted(p, ad_break_start(p.ma, kPod1), "the pre-roll's ad-break-start");
  expect_accepted(p, ad_start(p.ma, kAd1, kAd1Custom), "ad 1's ad-start");
  sleep_ms(ad_with_ping_ms);
  expect_accepted(p, closing_call(p.ma, "ad-complete"), "ad 1's ad-complete");
  expect_accepted(p, ad_start(p.ma, kAd2), "ad 2's ad-start");
  sleep_ms(300);
  expect_accepted(p, closing_call(p.ma, "ad-complete"), "ad 2's ad-complete");
  expect_accepted(p, closing_call(p.ma, "ad-break-complete"), "ad-break-complete");
  sleep_ms(300);
  expect_accepted(p, chapter_start(p.ma, kChapter1, "c, segment=(string)intro"),
                  "chapter-start");
  sleep_ms(300);
  expect_accepted(p, closing_call(p.ma, "chapter-complete"), "chapter-complete");
  // The mid-roll, where the content is.
  const double pod_second = p.position(true);
  const std::string pod2 =
      "break, media.ad.podIndex=(int)1, media.ad.podSecond=(double)" +
      number(pod_second) + ", media.ad.podFriendlyName=(string)ad_pod2";
  expect_accepted(p, ad_break_start(p.ma, pod2.c_str()), "the mid-roll's ad-break-start");
  expect_accepted(p, ad_start(p.ma, kAd3), "ad 3's ad-start");
  sleep_ms(ad_with_ping_ms);
  expect_accepted(p, closing_call(p.ma, "ad-complete"), "ad 3's ad-complete");
  expect_accepted(p, closing_call(p.ma, "ad-break-complete"), "ad-break-complete");
  sleep_ms(300);
  p.set_state(GST_STATE_PAUSED);
  p.wait_reports("pauseStart");
  sleep_ms(300);
  p.set_state(GST_STATE_PLAYING);
  p.wait_reports("play", 2);
  sleep_ms(300);
  p.end_stream();
  p.wait_reports("sessionComplete");
  p.expect_no_warnings();

  Lines requests = check_session(
      c, {"sessionStart", "adBreakStart", "adStart", "adComplete", "adStart",
          "adComplete", "adBreakComplete", "play", "chapterStart", "chapterComplete",
          "adBreakStart", "adStart", "adComplete", "adBreakComplete", "pauseStart",
          "play", "sessionComplete"});
  // The pre-roll and the mid-roll each had an ad ping.
  const size_t ad1 = index_of(requests, "adStart", 0);
  fail_unless(requests[ad1 + 1].event_type() == "ping", "no ping in ad 1 but %s",
              requests[ad1 + 1].event_type().c_str());
  const size_t ad3 = index_of(requests, "adStart", 2);
  fail_unless(requests[ad3 + 1].event_type() == "ping", "no ping in ad 3 but %s",
              requests[ad3 + 1].event_type().c_str());
  // The pre-roll and its ads back to back with the sessionStart (§6 #2, #4).
  fail_unless(ad1 == 2, "the pre-roll's adStart is request %zu", ad1);
  fail_unless(ts_of(requests[2]) - ts_of(requests[0]) < preroll_wait_ms,
              "the pre-roll's adStart came %" G_GINT64_FORMAT " ms after sessionStart",
              ts_of(requests[2]) - ts_of(requests[0]));
  // Playheads: frozen during each break, at 0 for the pre-roll and at the
  // content position for the mid-roll.
  const double preroll = frozen_playhead(requests, 0);
  // (Later when the process is slowed, valgrind: the content moved on.)
  fail_unless(preroll < 0.2 * time_scale(), "the pre-roll is at playhead %f", preroll);
  const double midroll = frozen_playhead(requests, 1);
  fail_unless(std::fabs(midroll - pod_second) < 0.2,
              "the mid-roll is at playhead %f, the content was at %f", midroll,
              pod_second);
  fail_unless(midroll >= playhead_of(requests[index_of(requests, "chapterComplete")]),
              "the mid-roll's playhead %f is before the chapter's end", midroll);
  // Params and custom metadata as sent.
  JsonObject *pod1 = params_of(requests[index_of(requests, "adBreakStart", 0)]);
  fail_unless(json_object_get_size(pod1) == 3);
  fail_unless(json_node_get_value_type(
                  json_object_get_member(pod1, "media.ad.podIndex")) == G_TYPE_INT64,
              "podIndex is no integer");
  fail_unless(json_object_get_int_member(pod1, "media.ad.podIndex") == 0);
  fail_unless(json_object_get_double_member(pod1, "media.ad.podSecond") == 0);
  fail_unless(g_strcmp0(json_object_get_string_member(pod1, "media.ad.podFriendlyName"),
                        "ad_pod1") == 0);
  JsonObject *ad = params_of(requests[ad1]);
  fail_unless(json_object_get_size(ad) == 11, "adStart has %u params: %s",
              json_object_get_size(ad), member_json(requests[ad1], "params").c_str());
  fail_unless(g_strcmp0(json_object_get_string_member(ad, "media.ad.id"), "001") == 0);
  fail_unless(g_strcmp0(json_object_get_string_member(ad, "media.ad.name"), "Ad 1") == 0);
  fail_unless(json_object_get_double_member(ad, "media.ad.length") == 15);
  fail_unless(json_node_get_value_type(
                  json_object_get_member(ad, "media.ad.podPosition")) == G_TYPE_INT64,
              "podPosition is no integer");
  fail_unless(json_object_get_int_member(ad, "media.ad.podPosition") == 1);
  fail_unless(g_strcmp0(json_object_get_string_member(ad, "media.ad.playerName"),
                        "Sample Player") == 0);
  fail_unless(g_strcmp0(json_object_get_string_member(ad, "media.ad.creativeURL"),
                        "https://example.com") == 0);
  fail_unless(member_json(requests[ad1], "customMetadata") ==
                  R"({"myCustomData1":"CustomData1","myCustomData2":"CustomData2"})",
              "ad 1's customMetadata: %s",
              member_json(requests[ad1], "customMetadata").c_str());
  const size_t ad2 = index_of(requests, "adStart", 1);
  fail_unless(
      json_object_get_double_member(params_of(requests[ad2]), "media.ad.length") == 7.5);
  fail_unless(member_json(requests[ad2], "customMetadata").empty(),
              "ad 2 has customMetadata %s",
              member_json(requests[ad2], "customMetadata").c_str());
  const size_t pod2_at = index_of(requests, "adBreakStart", 1);
  JsonObject *pod2_params = params_of(requests[pod2_at]);
  fail_unless(json_object_get_int_member(pod2_params, "media.ad.podIndex") == 1);
  fail_unless(std::fabs(json_object_get_double_member(pod2_params, "media.ad.podSecond") -
                        pod_second) < 1e-6);
  const size_t chapter = index_of(requests, "chapterStart");
  JsonObject *chapter_params = params_of(requests[chapter]);
  fail_unless(json_object_get_size(chapter_params) == 4);
  fail_unless(json_object_get_int_member(chapter_params, "media.chapter.index") == 1);
  fail_unless(json_object_get_double_member(chapter_params, "media.chapter.offset") ==
              1.5);
  fail_unless(json_object_get_double_member(chapter_params, "media.chapter.length") ==
              0.3);
  fail_unless(g_strcmp0(json_object_get_string_member(chapter_params,
                                                      "media.chapter.friendlyName"),
                        "Intro") == 0);
  fail_unless(
      member_json(requests[chapter], "customMetadata") == R"({"segment":"intro"})",
      "chapterStart customMetadata %s",
      member_json(requests[chapter], "customMetadata").c_str());
  // Closings carry no params.
  for (const Line &r : requests)
    if (r.event_type() == "adComplete" || r.event_type() == "adBreakComplete" ||
        r.event_type() == "chapterComplete" || r.event_type() == "ping")
      fail_unless(member_json(r, "params").empty() || member_json(r, "params") == "{}",
                  "%s has params %s", r.event_type().c_str(),
                  member_json(r, "params").c_str());
  check_ping_grid(requests, ping_ms);
}
GST_END_TEST;

// Values the API rejects: each call returns FALSE, warns naming the call and
// the culprit, and sends nothing (the record has the accepted calls only).
GST_START_TEST(test_rejected_values) {
  Collector c(collector_args(/*ad_pings=*/true));
  ApiPipeline p(c.url());
  p.set_preroll_wait(0);
  p.set_state(GST_STATE_PLAYING);
  p.wait_reports("play");
  GstElement *ma = p.ma;
  expect_rejected(p, "ad-start", nullptr, [&] { return ad_start(ma, kAd3); });
  expect_rejected(p, "ad-break-start", "media.ad.podSecond",
                  [&] { return ad_break_start(ma, "b, media.ad.podIndex=(int)0"); });
  expect_rejected(p, "ad-break-start", "media.ad.podSecond", [&] {
    return ad_break_start(ma,
                          "b, media.ad.podIndex=(int)0, media.ad.podSecond=(string)0");
  });
  expect_rejected(p, "ad-break-start", "media.ad.podIndex", [&] {
    return ad_break_start(ma,
                          "b, media.ad.podIndex=(double)1, media.ad.podSecond=(double)0");
  });
  expect_rejected(p, "ad-break-start", "media.ad.podWhatever", [&] {
    return ad_break_start(ma,
                          "b, media.ad.podIndex=(int)1, media.ad.podSecond=(double)0, "
                          "media.ad.podWhatever=(string)x");
  });
  sleep_ms(200);  // a mid-roll: podSecond > 0 (0 is a pre-roll)
  const std::string pod = "b, media.ad.podIndex=(int)1, media.ad.podSecond=(double)" +
                          number(p.position(true));
  expect_accepted(p, ad_break_start(ma, pod.c_str()), "a valid ad-break-start");
  expect_rejected(p, "ad-start", "media.ad.podPosition", [&] {
    return ad_start(ma,
                    "ad, media.ad.id=(string)x, media.ad.length=(int)8, "
                    "media.ad.podPosition=(int)0, media.ad.playerName=(string)p");
  });
  expect_rejected(p, "ad-start", "media.ad.lenght", [&] {
    return ad_start(ma,
                    "ad, media.ad.id=(string)x, media.ad.lenght=(int)8, "
                    "media.ad.length=(int)8, media.ad.podPosition=(int)1, "
                    "media.ad.playerName=(string)p");
  });
  expect_rejected(p, "ad-start", "tier",
                  [&] { return ad_start(ma, kAd3, "c, ok=(string)fine, tier=(int)5"); });
  expect_rejected(p, "ad-start", "a.x",
                  [&] { return ad_start(ma, kAd3, "c, a.x=(string)y"); });
  // An integer is a fine number (kAd3's media.ad.length).
  expect_accepted(p, ad_start(ma, kAd3, "c, tier=(string)gold"), "a valid ad-start");
  expect_accepted(p, closing_call(ma, "ad-complete"), "ad-complete");
  expect_accepted(p, closing_call(ma, "ad-break-complete"), "ad-break-complete");
  expect_rejected(p, "ad-complete", nullptr,
                  [&] { return closing_call(ma, "ad-complete"); });
  fail_unless(p.observed.warning_count() == 10);
  p.set_state(GST_STATE_NULL);
  Lines requests = check_session(c, {"sessionStart", "play", "adBreakStart", "adStart",
                                     "adComplete", "adBreakComplete", "sessionEnd"});
  const size_t ad = index_of(requests, "adStart");
  fail_unless(member_json(requests[ad], "customMetadata") == R"({"tier":"gold"})",
              "customMetadata %s", member_json(requests[ad], "customMetadata").c_str());
}
GST_END_TEST;

// Sequences the API rejects: overlapping chapters, a state started twice, the
// 11th distinct state, the end of an inactive state.
GST_START_TEST(test_rejected_sequences) {
  Collector c(collector_args(/*ad_pings=*/true));
  ApiPipeline p(c.url());
  p.set_preroll_wait(0);
  p.set_state(GST_STATE_PLAYING);
  p.wait_reports("play");
  GstElement *ma = p.ma;
  expect_accepted(p, chapter_start(ma, kChapter1), "chapter-start");
  expect_rejected(p, "chapter-start", nullptr,
                  [&] { return chapter_start(ma, kChapter1); });
  expect_accepted(p, closing_call(ma, "chapter-complete"), "chapter-complete");
  expect_rejected(p, "chapter-skip", nullptr,
                  [&] { return closing_call(ma, "chapter-skip"); });
  expect_accepted(p, state_call(ma, "state-start", "mute"), "state-start mute");
  expect_rejected(p, "state-start", "mute",
                  [&] { return state_call(ma, "state-start", "mute"); });
  expect_accepted(p, state_call(ma, "state-end", "mute"), "state-end mute");
  // mute counts among the 10 distinct states, ended or not.
  for (int i = 1; i < 10; i++) {
    const std::string name = "state" + std::to_string(i);
    expect_accepted(p, state_call(ma, "state-start", name.c_str()), name.c_str());
  }
  expect_rejected(p, "state-start", "state10",
                  [&] { return state_call(ma, "state-start", "state10"); });
  expect_accepted(p, state_call(ma, "state-start", "mute"), "mute again");
  expect_rejected(p, "state-end", "fullScreen",
                  [&] { return state_call(ma, "state-end", "fullScreen"); });
  fail_unless(p.observed.warning_count() == 5);
  p.set_state(GST_STATE_NULL);
  std::vector<std::string> expected = {"sessionStart", "play", "chapterStart",
                                       "chapterComplete"};
  for (int i = 0; i < 12; i++)
    expected.push_back("statesUpdate");
  expected.push_back("sessionEnd");
  check_session(c, expected);
}
GST_END_TEST;

// In PAUSED no session is open yet: calls with good values are accepted and
// wait for the session (a pre-roll is announced right after
// set_state(PLAYING), before the sessionStart); they go out right after it,
// in order. Bad values are refused at once; what the sequence rules refuse
// when the session opens gives its WARNING then.
GST_START_TEST(test_calls_before_session_wait_for_it) {
  Collector c(collector_args(/*ad_pings=*/true));
  ApiPipeline p(c.url());
  p.set_preroll_wait(0);
  p.set_state(GST_STATE_PAUSED);
  GstElement *ma = p.ma;
  expect_accepted(p, chapter_start(ma, kChapter1), "chapter-start");
  expect_accepted(p, state_call(ma, "state-start", "mute"), "state-start mute");
  expect_accepted(p, track_error(ma, "E1", "player"), "track-error");
  expect_rejected(p, "ad-start", "media.ad.podPosition", [&] {
    return ad_start(ma,
                    "ad, media.ad.id=a, media.ad.length=(double)1, "
                    "media.ad.podPosition=(int)0, media.ad.playerName=p");
  });
  // Right values, but no ad is open: refused when the session opens.
  expect_accepted(p, closing_call(ma, "ad-complete"), "ad-complete");
  sleep_ms(100);
  fail_unless(requests_of(c.record()).empty(), "PAUSED sent something");
  fail_unless(p.observed.warning_count() == 1, "%s", p.observed.all_warnings().c_str());
  p.set_state(GST_STATE_PLAYING);
  p.wait_reports("play");
  p.set_state(GST_STATE_NULL);
  fail_unless(p.observed.warning_count() == 2, "%s", p.observed.all_warnings().c_str());
  fail_unless(p.observed.last_warning().find("ad-complete") != std::string::npos,
              "the late WARNING does not name ad-complete: %s",
              p.observed.last_warning().c_str());
  check_session(c, {"sessionStart", "chapterStart", "statesUpdate", "error", "play",
                    "chapterSkip", "sessionEnd"});
}
GST_END_TEST;

// Opens a chapter, a break and an ad in it.
static void open_chapter_break_ad(Pipeline &p) {
  p.set_preroll_wait(0);
  p.set_state(GST_STATE_PLAYING);
  p.wait_reports("play");
  expect_accepted(p, chapter_start(p.ma, kChapter1), "chapter-start");
  expect_accepted(p,
                  ad_break_start(p.ma,
                                 "b, media.ad.podIndex=(int)1, "
                                 "media.ad.podSecond=(double)0.2"),
                  "ad-break-start");
  expect_accepted(p, ad_start(p.ma, kAd3), "ad-start");
  sleep_ms(200);
}

// end-session with an ad, a break and a chapter open closes them first:
// adSkip, adBreakComplete, chapterSkip, then sessionEnd; nothing after.
GST_START_TEST(test_end_session_closes_all) {
  Collector c(collector_args(/*ad_pings=*/true));
  ApiPipeline p(c.url());
  open_chapter_break_ad(p);
  expect_accepted(p, closing_call(p.ma, "end-session"), "end-session");
  expect_rejected(p, "end-session", nullptr,
                  [&] { return closing_call(p.ma, "end-session"); });
  p.wait_reports("sessionEnd");
  sleep_ms(1200);  // no ping after the end
  p.set_state(GST_STATE_NULL);
  Lines requests =
      check_session(c, {"sessionStart", "play", "chapterStart", "adBreakStart", "adStart",
                        "adSkip", "adBreakComplete", "chapterSkip", "sessionEnd"});
  fail_unless(requests.back().event_type() == "sessionEnd", "%s after the sessionEnd",
              requests.back().event_type().c_str());
  auto closed = closed_line(c.record(), requests[0].str("session"));
  fail_unless(closed->str("reason") == "sessionEnd", "closed by %s",
              closed->str("reason").c_str());
}
GST_END_TEST;

// The same closings when the pipeline stops (NULL) with all of them open.
GST_START_TEST(test_stop_closes_all) {
  Collector c(collector_args(/*ad_pings=*/true));
  ApiPipeline p(c.url());
  open_chapter_break_ad(p);
  p.set_state(GST_STATE_NULL);
  p.expect_no_warnings();
  check_session(c, {"sessionStart", "play", "chapterStart", "adBreakStart", "adStart",
                    "adSkip", "adBreakComplete", "chapterSkip", "sessionEnd"});
}
GST_END_TEST;

// state-start and state-end: statesUpdate with statesStart / statesEnd arrays.
GST_START_TEST(test_states) {
  Collector c(collector_args(/*ad_pings=*/true));
  ApiPipeline p(c.url());
  p.set_preroll_wait(0);
  p.set_state(GST_STATE_PLAYING);
  p.wait_reports("play");
  expect_accepted(p, state_call(p.ma, "state-start", "mute"), "state-start");
  sleep_ms(100);
  expect_accepted(p, state_call(p.ma, "state-end", "mute"), "state-end");
  p.set_state(GST_STATE_NULL);
  p.expect_no_warnings();
  Lines requests = check_session(
      c, {"sessionStart", "play", "statesUpdate", "statesUpdate", "sessionEnd"});
  const size_t start = index_of(requests, "statesUpdate", 0);
  const size_t end = index_of(requests, "statesUpdate", 1);
  fail_unless(member_json(requests[start], "params") ==
                  R"({"statesStart":[{"media.state.name":"mute"}]})",
              "statesUpdate %s", member_json(requests[start], "params").c_str());
  fail_unless(member_json(requests[end], "params") ==
                  R"({"statesEnd":[{"media.state.name":"mute"}]})",
              "statesUpdate %s", member_json(requests[end], "params").c_str());
}
GST_END_TEST;

// Custom events from upstream, in-band: an appsrc application queues its
// frames and its calls ("mediaanalytics/<call>" custom events) in stream
// order; appsrc pushes them from its streaming thread, so they reach the
// element, and the collector, when the media does.

// Queues the call `fields` ("mediaanalytics/ad-start, media.ad.id=...") with
// `custom` (may be NULL) in its "custom-metadata" field.
static void push_call(GstElement *src, const char *fields, const char *custom = nullptr) {
  GstStructure *call = structure(fields);
  if (custom) {
    GstStructure *c = structure(custom);
    gst_structure_set(call, "custom-metadata", GST_TYPE_STRUCTURE, c, nullptr);
    gst_structure_free(c);
  }
  fail_unless(gst_element_send_event(
                  src, gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM, call)),
              "appsrc refused the custom event");
}

static const char kInBandAd[] =
    "mediaanalytics/ad-start, media.ad.id=(string)inband-1, "
    "media.ad.length=(double)0.8, media.ad.podPosition=(int)1, "
    "media.ad.playerName=(string)ssai";

// A mid-roll of one ad from 0.6 s to 1.4 s of the stream, and a state.
GST_START_TEST(test_custom_events_in_band) {
  const int64_t ping_ms = scaled_ping_ms();
  Collector c(collector_args(/*ad_pings=*/true, ping_ms));
  Presentation presented;
  ApiPipeline p(c.url(), kAppSrc, ns_of_ms(ping_ms));
  presented.watch(p.element("sink"));
  GstElement *src = p.element("src");
  push_frames(src, 0, 15);  // to 0.6 s
  push_call(src,
            "mediaanalytics/ad-break-start, media.ad.podIndex=(int)1, "
            "media.ad.podSecond=(double)0.6");
  push_call(src, kInBandAd, "c, campaign=(string)Q3");
  push_frames(src, 15, 35);  // to 1.4 s
  push_call(src, "mediaanalytics/ad-complete");
  push_call(src, "mediaanalytics/ad-break-complete");
  push_call(src, "mediaanalytics/state-start, media.state.name=(string)fullScreen");
  push_frames(src, 35, 50);  // to 2 s
  end_frames(src);
  p.set_state(GST_STATE_PLAYING);
  p.wait_eos();
  p.wait_reports("sessionComplete");
  p.set_state(GST_STATE_NULL);
  p.expect_no_warnings();
  Lines requests =
      check_session(c, {"sessionStart", "play", "adBreakStart", "adStart", "adComplete",
                        "adBreakComplete", "statesUpdate", "sessionComplete"});
  // In sync with the media: the break when the sink presented 0.6 s of the
  // stream, the ad over when it presented 1.4 s (in real time from the play
  // at 0 s, when the pipeline keeps pace). A call is stamped as it passes
  // the element, before the sink presents the next frame: the early side
  // grows with what a slowed process takes to get that frame there.
  const size_t start = index_of(requests, "adBreakStart");
  const size_t done = index_of(requests, "adComplete");
  const int64_t from_start = ts_of(requests[start]) - presented.utc_ms_at(0.6);
  const int64_t from_done = ts_of(requests[done]) - presented.utc_ms_at(1.4);
  fail_unless(from_start > -scaled_ms(150) && from_start < 150,
              "the break began %" G_GINT64_FORMAT " ms off the sink's 0.6 s", from_start);
  fail_unless(from_done > -scaled_ms(150) && from_done < 150,
              "the ad ended %" G_GINT64_FORMAT " ms off the sink's 1.4 s", from_done);
  fail_unless(std::fabs(playhead_of(requests[start]) - 0.6) < 0.15,
              "the break is at playhead %f", playhead_of(requests[start]));
  frozen_playhead(requests, 0);
  const size_t ad_at = index_of(requests, "adStart");
  fail_unless(
      g_strcmp0(json_object_get_string_member(params_of(requests[ad_at]), "media.ad.id"),
                "inband-1") == 0);
  fail_unless(member_json(requests[ad_at], "customMetadata") == R"({"campaign":"Q3"})",
              "customMetadata %s",
              member_json(requests[ad_at], "customMetadata").c_str());
  const size_t states = index_of(requests, "statesUpdate");
  fail_unless(member_json(requests[states], "params") ==
                  R"({"statesStart":[{"media.state.name":"fullScreen"}]})",
              "statesUpdate %s", member_json(requests[states], "params").c_str());
  check_ping_grid(requests, ping_ms);
}
GST_END_TEST;

// A pre-roll marked in-band ahead of the stream's first frame: it takes
// effect when it reaches the element, i.e. as the playback starts, so it
// comes first and the content's play after its adBreakComplete (§6 #2).
GST_START_TEST(test_custom_events_preroll_in_band) {
  Collector c(collector_args(/*ad_pings=*/true));
  Presentation presented;
  ApiPipeline p(c.url(), kAppSrc);
  presented.watch(p.element("sink"));
  GstElement *src = p.element("src");
  push_call(src,
            "mediaanalytics/ad-break-start, media.ad.podIndex=(int)0, "
            "media.ad.podSecond=(double)0");
  push_call(src, kInBandAd);
  push_frames(src, 0, 10);  // the ad, to 0.4 s
  push_call(src, "mediaanalytics/ad-complete");
  push_call(src, "mediaanalytics/ad-break-complete");
  push_frames(src, 10, 20);  // the content, to 0.8 s
  end_frames(src);
  p.set_state(GST_STATE_PLAYING);
  p.wait_eos();
  p.wait_reports("sessionComplete");
  p.set_state(GST_STATE_NULL);
  p.expect_no_warnings();
  Lines requests =
      check_session(c, {"sessionStart", "adBreakStart", "adStart", "adComplete",
                        "adBreakComplete", "play", "sessionComplete"});
  // When the sink presented 0.4 s of the stream (in real time from the
  // sessionStart, when the pipeline prerolls and keeps pace).
  const int64_t from_done =
      ts_of(requests[index_of(requests, "adComplete")]) - presented.utc_ms_at(0.4);
  fail_unless(std::llabs(from_done) < 150,
              "the ad ended %" G_GINT64_FORMAT " ms off the sink's 0.4 s", from_done);
}
GST_END_TEST;

// With no break, the first play: stamped when the first frame came, whether
// it goes out at once (preroll-wait=0) or after the wait (the default 250
// ms); before any ping either way. The pings, the wait and the bounds are
// scaled together: a slow test process (its slow preroll) must not put the
// first ping ahead of the first frame.
struct FirstFrame {
  std::atomic<int64_t> utc_ms{0};
};

static void on_handoff(GstElement *, GstBuffer *, GstPad *, gpointer data) {
  auto *first = static_cast<FirstFrame *>(data);
  int64_t none = 0;
  first->utc_ms.compare_exchange_strong(none, g_get_real_time() / 1000);
}

static void check_first_play(bool wait) {
  const int64_t ping_ms = scaled_ping_ms();
  Collector c(collector_args(/*ad_pings=*/true, ping_ms));
  FirstFrame first;
  {
    ApiPipeline p(c.url(), kVideoTestSrc, ns_of_ms(ping_ms));
    if (!wait)
      p.set_preroll_wait(0);
    else if (time_scale() > 1)  // natively, the default itself
      p.set_preroll_wait(ns_of_ms(scaled_ms(250)));
    GstElement *sink = p.element("sink");
    g_object_set(sink, "signal-handoffs", TRUE, nullptr);
    g_signal_connect(sink, "handoff", G_CALLBACK(on_handoff), &first);
    p.set_state(GST_STATE_PLAYING);
    p.wait_reports("play");
    sleep_ms(ping_ms * 12 / 10);  // a ping
    p.set_state(GST_STATE_NULL);
    p.expect_no_warnings();
  }
  Lines requests = check_session(c, {"sessionStart", "play", "sessionEnd"});
  fail_unless(requests[1].event_type() == "play", "%s before the play",
              requests[1].event_type().c_str());
  fail_unless(requests[2].event_type() == "ping", "no ping after the play");
  const int64_t ts = ts_of(requests[1]);
  fail_unless(first.utc_ms != 0, "no frame rendered");
  fail_unless(std::llabs(ts - first.utc_ms) <= scaled_ms(50),
              "play at ts %" G_GINT64_FORMAT ", the first frame at %" G_GINT64_FORMAT, ts,
              first.utc_ms.load());
  // Held for the wait, or not at all: the collector's arrival time against
  // the event's own ts (one clock, one machine).
  const int64_t held_ms = requests[1].num("time_us") / 1000 - ts;
  if (wait)
    fail_unless(held_ms >= scaled_ms(150),
                "the play went out %" G_GINT64_FORMAT " ms after it", held_ms);
  else
    fail_unless(held_ms < scaled_ms(150),
                "the play went out %" G_GINT64_FORMAT " ms after it", held_ms);
}

GST_START_TEST(test_first_play_no_wait) {
  check_first_play(false);
}
GST_END_TEST;

GST_START_TEST(test_first_play_default_wait) {
  check_first_play(true);
}
GST_END_TEST;

static Suite *element_app_api_suite(void) {
  Suite *s = suite_create("element-app-api");
  TCase *tc = add_process_tcase(s);
  tcase_add_test(tc, test_timeline_1);
  tcase_add_test(tc, test_rejected_values);
  tcase_add_test(tc, test_rejected_sequences);
  tcase_add_test(tc, test_calls_before_session_wait_for_it);
  tcase_add_test(tc, test_end_session_closes_all);
  tcase_add_test(tc, test_stop_closes_all);
  tcase_add_test(tc, test_states);
  tcase_add_test(tc, test_custom_events_in_band);
  tcase_add_test(tc, test_custom_events_preroll_in_band);
  tcase_add_test(tc, test_first_play_no_wait);
  tcase_add_test(tc, test_first_play_default_wait);
  return s;
}

GST_CHECK_MAIN(element_app_api);
