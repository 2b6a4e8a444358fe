// Session-level findings of the collector (tools/collector/session-checker.h):
// each test feeds a hand-made session, request by request, and asserts the
// exact finding codes every request yields.

#include <gst/check/gstcheck.h>

#include "session-checker.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

using collector::CheckerOptions;
using collector::Finding;
using collector::SessionChecker;

namespace {

// playerTime.ts of the sessionStart in every test; ms arguments are offsets.
constexpr int64_t kT0 = 1700000000000;

// A request body of `type` at kT0 + ms; `extra` adds members, e.g. "params":{}.
std::string ev(const char *type, int64_t ms, const std::string &extra = "",
               double playhead = 0) {
  g_autofree char *body = g_strdup_printf(
      R"({"eventType":"%s","playerTime":{"playhead":%.15g,"ts":%)" G_GINT64_FORMAT
      R"(}%s%s})",
      type, playhead, kT0 + ms, extra.empty() ? "" : ",", extra.c_str());
  return body;
}

std::string start(int64_t ms = 0, const std::string &params =
                                      R"("media.contentType":"vod","media.length":60)") {
  return ev("sessionStart", ms, R"("params":{)" + params + "}");
}

std::string break_start(int64_t ms, int pod_second) {
  return ev("adBreakStart", ms,
            R"("params":{"media.ad.podIndex":1,"media.ad.podSecond":)" +
                std::to_string(pod_second) + "}");
}

// One request and the codes it must yield, space-separated and in order.
struct Step {
  std::string body;
  std::string expect;
  bool accepted = true;
};

std::string codes(const std::vector<Finding> &findings) {
  std::string text;
  for (const Finding &finding : findings) {
    fail_unless(!finding.message.empty(), "finding %s has no message",
                finding.code.c_str());
    text += (text.empty() ? "" : " ") + finding.code;
  }
  return text;
}

// Feeds `steps` to a fresh checker, the first to the sessions endpoint (it opens
// the session) and the rest to the events endpoint, then closes the session.
void run(const std::vector<Step> &steps, const std::string &expect_at_close = "") {
  SessionChecker checker;
  for (size_t i = 0; i < steps.size(); ++i) {
    g_autoptr(GError) error = nullptr;
    g_autoptr(JsonNode) body = json_from_string(steps[i].body.c_str(), &error);
    fail_unless(body != nullptr, "step %zu is not JSON: %s", i,
                error ? error->message : "empty");
    const std::string got = codes(checker.observe(body, steps[i].accepted, i == 0));
    fail_unless(got == steps[i].expect, "step %zu %s: expected [%s], got [%s]", i,
                steps[i].body.c_str(), steps[i].expect.c_str(), got.c_str());
  }
  const std::string got = codes(checker.close());
  fail_unless(got == expect_at_close, "close(): expected [%s], got [%s]",
              expect_at_close.c_str(), got.c_str());
}

}  // namespace

GST_START_TEST(test_event_before_session_start) {
  run({{start(), ""},
       {ev("play", -5), "event-before-session-start ts-not-increasing"},
       {ev("ping", 1), ""}});
}
GST_END_TEST;

GST_START_TEST(test_session_start_repeated) {
  run({{start(), ""}, {ev("play", 1), ""}, {start(2), "session-start-repeated"}});
}
GST_END_TEST;

GST_START_TEST(test_ts_not_increasing) {
  run({{start(), ""},
       {ev("play", 10), ""},
       {ev("ping", 10), "ts-not-increasing"},
       {ev("ping", 9), "ts-not-increasing"},
       {ev("ping", 11), ""}});
  // Strictly increasing across the whole session: after a ts from the past, the
  // next one must still pass the latest ts, not just the previous one.
  run({{start(), ""},
       {ev("play", 10), ""},
       {ev("ping", 5), "ts-not-increasing"},
       {ev("ping", 7), "ts-not-increasing"},
       {ev("ping", 11), ""}});
}
GST_END_TEST;

// A ts from the past is no reference for the gap: 0, 10000, 100, 12500 has no
// gap longer than 12 s.
GST_START_TEST(test_gap_after_backwards_ts) {
  run({{start(0), ""},
       {ev("play", 10000), ""},
       {ev("ping", 100), "ts-not-increasing"},
       {ev("ping", 12500), ""},
       {ev("ping", 12400), "ts-not-increasing"},
       // Measured from 12500: 12001 ms.
       {ev("ping", 24501), "gap-too-long"}});

  SessionChecker checker;
  for (const int64_t ms : {0, 10000, 100}) {
    g_autoptr(JsonNode) body = json_from_string(ev("ping", ms).c_str(), nullptr);
    checker.observe(body, true, false);
  }
  g_autoptr(JsonNode) late = json_from_string(ev("ping", 22100).c_str(), nullptr);
  const std::vector<Finding> findings = checker.observe(late, true, false);
  fail_unless(codes(findings) == "gap-too-long" &&
                  findings[0].message.find("12100 ms") != std::string::npos,
              "the gap is measured from the latest ts: %s",
              findings.empty() ? "none" : findings[0].message.c_str());
}
GST_END_TEST;

GST_START_TEST(test_ad_outside_break) {
  run({{start(), ""},
       {ev("adStart", 1), "ad-outside-break"},
       {ev("adComplete", 2), "ad-outside-break"},
       {break_start(3, 0), ""},
       {ev("adStart", 4), ""},
       {ev("adComplete", 5), ""},
       {ev("adSkip", 6), "ad-outside-break"},
       {ev("adBreakComplete", 7), ""},
       {ev("play", 8), ""}});
}
GST_END_TEST;

GST_START_TEST(test_ad_not_closed) {
  run({{start(), ""},
       {break_start(1, 0), ""},
       {ev("adStart", 2), ""},
       {ev("adStart", 3), "ad-not-closed"},
       {ev("adSkip", 4), ""},
       {break_start(5, 0), "ad-not-closed"},
       {ev("adStart", 6), ""},
       {ev("adComplete", 7), ""},
       {ev("adBreakComplete", 8), ""},
       {ev("adBreakComplete", 9), "ad-outside-break"}});
}
GST_END_TEST;

GST_START_TEST(test_event_between_break_and_ad) {
  run({{start(), ""},
       {ev("play", 1), ""},
       {break_start(2, 20), ""},
       {ev("ping", 3), "event-between-break-and-ad"},
       {ev("pauseStart", 4), "event-between-break-and-ad"},
       {ev("adStart", 5), ""},
       {ev("ping", 6), ""},
       {ev("adComplete", 7), ""},
       {ev("adBreakComplete", 8), ""},
       // An empty pod is not the mistake: nothing came before an adStart.
       {break_start(9, 20), ""},
       {ev("adBreakComplete", 10), ""}});
}
GST_END_TEST;

GST_START_TEST(test_chapters) {
  run({{start(), ""},
       {ev("chapterComplete", 1), "chapter-not-open"},
       {ev("chapterStart", 2), ""},
       {ev("chapterStart", 3), "chapter-overlap"},
       {ev("chapterSkip", 4), ""},
       {ev("chapterSkip", 5), "chapter-not-open"}});
}
GST_END_TEST;

GST_START_TEST(test_left_open_at_session_end) {
  // Reported once while nothing changes: not again on sessionEnd or close().
  run({{start(), ""},
       {ev("chapterStart", 1), ""},
       {ev("sessionComplete", 2), "left-open-at-end"},
       {ev("sessionEnd", 3), ""}});
  // A new unclosed thing after the first report is reported again.
  run({{start(), ""},
       {ev("chapterStart", 1), ""},
       {ev("sessionComplete", 2), "left-open-at-end"},
       {ev("chapterComplete", 3), ""},
       {break_start(4, 30), ""},
       {ev("sessionEnd", 5), "left-open-at-end"}});
}
GST_END_TEST;

GST_START_TEST(test_left_open_at_close) {
  run({{start(), ""}, {break_start(1, 0), ""}, {ev("adStart", 2), ""}},
      "left-open-at-end");

  SessionChecker checker;
  g_autoptr(JsonNode) body = json_from_string(start().c_str(), nullptr);
  checker.observe(body, true, true);
  g_autoptr(JsonNode) chapter = json_from_string(ev("chapterStart", 1).c_str(), nullptr);
  checker.observe(chapter, true, false);
  const std::vector<Finding> first = checker.close();
  fail_unless(codes(first) == "left-open-at-end", "close() reports the open chapter");
  fail_unless(first[0].message.find("a chapter") != std::string::npos,
              "the message names what is open: %s", first[0].message.c_str());
  fail_unless(checker.close().empty(), "a second close() yields nothing");
}
GST_END_TEST;

GST_START_TEST(test_play_before_preroll) {
  // The typical mistake: play, then the pre-roll; reported once, on its break.
  run({{start(), ""},
       {ev("play", 1), ""},
       {break_start(2, 0), "play-before-preroll"},
       {ev("adStart", 3), ""},
       {ev("adComplete", 4), ""},
       {ev("adBreakComplete", 5), ""},
       {ev("play", 6), ""}});
  // A play inside the pre-roll, before its adStart: revealed by the adStart.
  run({{start(), ""},
       {break_start(1, 0), ""},
       {ev("play", 2), "event-between-break-and-ad"},
       {ev("adStart", 3), "play-before-preroll"},
       {ev("adComplete", 4), ""},
       {ev("adBreakComplete", 5), ""}});
  // A play while a pre-roll ad runs (after buffering) is not a content play.
  run({{start(), ""},
       {break_start(1, 0), ""},
       {ev("adStart", 2), ""},
       {ev("bufferStart", 3), ""},
       {ev("play", 4), ""},
       {ev("adComplete", 5), ""},
       {ev("adBreakComplete", 6), ""},
       {ev("play", 7), ""}});
}
GST_END_TEST;

GST_START_TEST(test_gap_too_long) {
  // Limits with the default options: 10000 + 2000 ms on content, 1000 + 2000 in ads.
  run({{start(), ""},
       {ev("play", 1), ""},
       {ev("ping", 12001), ""},
       {ev("ping", 24002), "gap-too-long"},
       {ev("pauseStart", 24003), ""},
       {ev("ping", 36004), "gap-too-long"},  // pings continue during a pause
       {ev("play", 36005), ""},
       {break_start(36006, 40), ""},
       {ev("adStart", 36007), ""},
       {ev("ping", 39007), ""},
       {ev("ping", 42008), "gap-too-long"},
       {ev("adComplete", 42009), ""},
       {ev("adBreakComplete", 42010), ""},
       {ev("sessionComplete", 52010), ""},
       // Content is complete: the ping timer may stop.
       {ev("sessionEnd", 120000), ""}});
}
GST_END_TEST;

// Any int64 ts passes the schema; a gap across the whole range is measured
// without overflow.
GST_START_TEST(test_gap_at_int64_extremes) {
  const std::string first =
      R"({"eventType":"ping","playerTime":{"playhead":0,"ts":-9223372036854775808}})";
  const std::string last =
      R"({"eventType":"ping","playerTime":{"playhead":0,"ts":9223372036854775807}})";
  SessionChecker checker;
  g_autoptr(JsonNode) early = json_from_string(first.c_str(), nullptr);
  g_autoptr(JsonNode) late = json_from_string(last.c_str(), nullptr);
  fail_unless(codes(checker.observe(early, true, false)) == "value-out-of-range");
  const std::vector<Finding> findings = checker.observe(late, true, false);
  fail_unless(
      codes(findings) == "gap-too-long" &&
          findings[0].message.find("18446744073709551615 ms") != std::string::npos,
      "the gap is 2^64 - 1 ms: %s",
      findings.empty() ? "none" : findings[0].message.c_str());
}
GST_END_TEST;

GST_START_TEST(test_playhead_out_of_range) {
  run({{start(0), ""},
       {ev("play", 1, "", 59.5), ""},
       {ev("ping", 2, "", 60), "playhead-out-of-range"},
       {ev("ping", 3, "", -1), "playhead-out-of-range"}});
  // Live and linear: the second of the day, whatever media.length says.
  run({{start(0, R"("media.contentType":"Linear","media.length":3600)"), ""},
       {ev("play", 1, "", 86399.5), ""},
       {ev("ping", 2, "", 86400), "playhead-out-of-range"},
       {ev("ping", 3, "", -0.5), "playhead-out-of-range"}});
  // No usable media.length: only the lower bound is checked.
  run({{start(0, R"("media.contentType":"vod","media.length":"60")"), ""},
       {ev("play", 1, "", 99999), ""},
       {ev("ping", 2, "", -1), "playhead-out-of-range"}});
}
GST_END_TEST;

GST_START_TEST(test_params_on_ping) {
  run({{start(), ""},
       {ev("ping", 1, R"("params":{})"), "params-on-ping"},
       {ev("ping", 2), ""}});
}
GST_END_TEST;

GST_START_TEST(test_qoe_outside_qoedata) {
  run({{start(), ""},
       {ev("play", 1, R"("params":{"media.qoe.bitrate":5000})"), "qoe-outside-qoedata"},
       {ev("bitrateChange", 2, R"("media.qoe.bitrate":5000)"), "qoe-outside-qoedata"},
       {ev("bitrateChange", 3,
           R"("qoeData":{"bitrate":5000,"media.qoe.droppedFrames":0})"),
        "qoe-outside-qoedata"},
       {ev("bitrateChange", 4, R"("qoeData":{"media.qoe.bitrate":5000})"), ""},
       // Also a reserved media. key of custom metadata: both findings apply.
       {ev("chapterStart", 5, R"("customMetadata":{"media.qoe.framesPerSecond":"25"})"),
        "qoe-outside-qoedata custom-metadata-invalid"},
       {ev("chapterComplete", 6), ""}});
}
GST_END_TEST;

GST_START_TEST(test_custom_metadata_invalid) {
  run({{start(), ""},
       {ev("chapterStart", 1, R"("customMetadata":"tier=gold")"),
        "custom-metadata-invalid"},
       {ev("chapterComplete", 2), ""},
       {ev("chapterStart", 3,
           R"("customMetadata":{"tier":"gold","n":5,"bad key":"x","a.x":"y","media.show":"z"})"),
        "custom-metadata-invalid custom-metadata-invalid custom-metadata-invalid "
        "custom-metadata-invalid"},
       {ev("chapterComplete", 4), ""}});

  SessionChecker checker;
  g_autoptr(JsonNode) body = json_from_string(
      ev("adStart", 1, R"("customMetadata":{"bad key":"x"})").c_str(), nullptr);
  const std::vector<Finding> findings = checker.observe(body, false, false);
  fail_unless(findings.size() == 1 &&
                  findings[0].message.find("\"bad key\"") != std::string::npos,
              "the finding names the key");
}
GST_END_TEST;

// Every rule of kValueRules, just out of range; numbers that break several
// rules get one finding each, in the rules' order.
GST_START_TEST(test_value_out_of_range) {
  run({{start(0, R"("media.contentType":"vod","media.length":0)"), "value-out-of-range"},
       // No usable media.length: only the playhead's lower bound is checked,
       // and that is playhead-out-of-range, not value-out-of-range.
       {ev("play", 1, "", 99999), ""},
       {ev("ping", 2, "", -1), "playhead-out-of-range"},
       {ev("bitrateChange", 3,
           R"("qoeData":{"media.qoe.bitrate":-1,"media.qoe.droppedFrames":0,)"
           R"("media.qoe.framesPerSecond":-25,"media.qoe.timeToStart":-850})"),
        "value-out-of-range value-out-of-range value-out-of-range"},
       {ev("adBreakStart", 4,
           R"("params":{"media.ad.podIndex":-1,"media.ad.podSecond":-3})"),
        "value-out-of-range value-out-of-range"},
       {ev("adStart", 5, R"("params":{"media.ad.length":-15,"media.ad.podPosition":0})"),
        "value-out-of-range value-out-of-range"},
       {ev("adComplete", 6), ""},
       {ev("adBreakComplete", 7), ""},
       {ev("chapterStart", 8,
           R"("params":{"media.chapter.index":0,"media.chapter.offset":-1.5,)"
           R"("media.chapter.length":-2})"),
        "value-out-of-range value-out-of-range value-out-of-range"},
       {ev("chapterComplete", 9), ""},
       // ts -1: also before the sessionStart and not increasing.
       {ev("ping", -kT0 - 1),
        "value-out-of-range event-before-session-start ts-not-increasing"},
       // A rule is about its own event type's key: media.length on a play is the
       // schema's business (an unknown key there), not this check's.
       {ev("play", 10, R"("params":{"media.length":-1})"), "", false}});

  // The bounds themselves are in range: 0 where >= 0, 1 where >= 1, and any
  // positive media.length.
  run({{start(-kT0, R"("media.contentType":"vod","media.length":0.001)"), ""},
       {ev("adBreakStart", -kT0 + 1,
           R"("params":{"media.ad.podIndex":0,"media.ad.podSecond":0})"),
        ""},
       {ev("adStart", -kT0 + 2,
           R"("params":{"media.ad.length":0,"media.ad.podPosition":1},)"
           R"("qoeData":{"media.qoe.bitrate":0,"media.qoe.droppedFrames":0,)"
           R"("media.qoe.framesPerSecond":0,"media.qoe.timeToStart":0})"),
        ""},
       {ev("adComplete", -kT0 + 3), ""},
       {ev("adBreakComplete", -kT0 + 4), ""},
       {ev("chapterStart", -kT0 + 5,
           R"("params":{"media.chapter.index":1,"media.chapter.offset":0,)"
           R"("media.chapter.length":0})"),
        ""},
       {ev("chapterComplete", -kT0 + 6), ""}});
}
GST_END_TEST;

// A message names the key, the value as sent and the rule.
GST_START_TEST(test_value_out_of_range_messages) {
  struct Case {
    std::string body;
    std::vector<std::string> parts;
  };
  const Case cases[] = {
      {start(0, R"("media.length":0)"), {"media.length", "is 0,", "> 0", "§8"}},
      {ev("adStart", 1, R"("params":{"media.ad.podPosition":0})"),
       {"media.ad.podPosition", "is 0,", ">= 1", "§16 #8"}},
      {ev("chapterStart", 2, R"("params":{"media.chapter.offset":-1.5})"),
       {"media.chapter.offset", "is -1.5,", ">= 0"}},
      {ev("ping", -kT0 - 1700000000001),
       {"ts in playerTime", "is -1700000000001,", ">= 0"}},
      {ev("play", 3, R"("qoeData":{"media.qoe.droppedFrames":-7})"),
       {"media.qoe.droppedFrames in qoeData", "is -7,", ">= 0"}},
  };
  for (const Case &c : cases) {
    g_autoptr(JsonNode) body = json_from_string(c.body.c_str(), nullptr);
    const std::vector<Finding> findings = SessionChecker::check_request(body);
    fail_unless(codes(findings) == "value-out-of-range",
                "%s: expected one finding, got [%s]", c.body.c_str(),
                codes(findings).c_str());
    for (const std::string &part : c.parts) {
      fail_unless(findings[0].message.find(part) != std::string::npos,
                  "the message of %s lacks \"%s\": %s", c.body.c_str(), part.c_str(),
                  findings[0].message.c_str());
    }
  }
}
GST_END_TEST;

// The server runs the per-request checks on requests that have no open session:
// a rejected sessionStart, an event to an unknown or expired session.
GST_START_TEST(test_check_request_needs_no_session) {
  const std::pair<std::string, std::string> cases[] = {
      {start(0, R"("media.length":-1,"media.qoe.timeToStart":12)"),
       "qoe-outside-qoedata value-out-of-range"},
      {ev("ping", 1, R"("params":{})"), "params-on-ping"},
      {ev("adStart", 2,
          R"("params":{"media.ad.podPosition":0},"customMetadata":{"a.b":"c"})"),
       "custom-metadata-invalid value-out-of-range"},
      // No sequence checks: no session, so nothing is out of order.
      {ev("adComplete", -5, "", -1), ""},
      {ev("sessionEnd", 3), ""},
  };
  for (const auto &[text, expect] : cases) {
    g_autoptr(JsonNode) body = json_from_string(text.c_str(), nullptr);
    const std::string got = codes(SessionChecker::check_request(body));
    fail_unless(got == expect, "%s: expected [%s], got [%s]", text.c_str(),
                expect.c_str(), got.c_str());
  }
  fail_unless(SessionChecker::check_request(nullptr).empty(), "no body, no findings");
  for (const char *text : {"[1,2]", "\"ping\"", "42", "null"}) {
    g_autoptr(JsonNode) body = json_from_string(text, nullptr);
    fail_unless(SessionChecker::check_request(body).empty(), "%s yields nothing", text);
  }
}
GST_END_TEST;

GST_START_TEST(test_event_after_session_end) {
  run({{start(), ""},
       {ev("sessionEnd", 1), ""},
       {ev("ping", 2), "event-after-session-end"},
       {ev("sessionEnd", 3), ""},  // idempotent (spec §4.2)
       {ev("play", 600000), "event-after-session-end"}});
}
GST_END_TEST;

GST_START_TEST(test_rejected_requests) {
  // Rejected requests get only the per-request findings and leave the
  // sequence as it was: no ts, break, chapter or session end is taken from them.
  run({{start(), ""},
       {ev("ping", 20000, R"("params":{})"), "params-on-ping", false},
       {ev("ping", 9000), ""},
       {ev("sessionEnd", 9100), "", false},
       {break_start(9200, 0), "", false},
       {ev("play", 9300, R"("params":{"media.qoe.bitrate":1})"), "qoe-outside-qoedata",
        false},
       {ev("chapterStart", 9400, R"("customMetadata":{"a.b":"c"})"),
        "custom-metadata-invalid", false},
       {ev("adStart", 9450, R"("params":{"media.ad.podPosition":0},"notInSpec":1)"),
        "value-out-of-range", false},
       {ev("ping", -1, "", -5), "", false},
       {ev("ping", 18000), ""}});
}
GST_END_TEST;

GST_START_TEST(test_non_object_bodies) {
  SessionChecker checker;
  for (const char *text : {"[1,2]", "\"ping\"", "42", "null"}) {
    g_autoptr(JsonNode) body = json_from_string(text, nullptr);
    fail_unless(body != nullptr, "%s parses", text);
    fail_unless(checker.observe(body, true, false).empty(), "%s yields nothing", text);
  }
}
GST_END_TEST;

// Timeline 1 (timeline-1.md): its non-ping rows in table order, plus the 1-s ad
// pings and the 10-s main-content pings the table leaves out, podPosition
// restarting in each pod. A conforming session: no findings at all.
GST_START_TEST(test_timeline_1_is_clean) {
  struct Row {
    int t;  // seconds since sessionStart
    double playhead;
    const char *type;
    std::string extra;
  };
  const std::string ad = R"("media.ad.length":15,"media.ad.playerName":"Sample Player",)";
  std::vector<Row> rows = {
      {0, 0, "sessionStart",
       R"("params":{"media.id":"VA API Sample Player","media.name":"ClickMe",
          "media.length":60.3333333333333,"media.contentType":"VOD",
          "media.playerName":"sample-html5-api-player","media.channel":"sample-channel",
          "media.sdkVersion":"va-api-0.0.0","analytics.enableSSL":false})"},
      {0, 0, "adBreakStart",
       R"("params":{"media.ad.podFriendlyName":"ad_pod1","media.ad.podIndex":0,
          "media.ad.podSecond":0})"},
      {0, 0, "adStart",
       R"("params":{)" + ad + R"("media.ad.id":"001","media.ad.podPosition":1},
          "customMetadata":{"myCustomData1":"CustomData1","myCustomData2":"CustomData2"})"},
      {15, 0, "adComplete", ""},
      {15, 0, "adStart",
       R"("params":{)" + ad + R"("media.ad.id":"002","media.ad.podPosition":2})"},
      {22, 0, "adComplete", ""},
      {22, 0, "adBreakComplete", ""},
      {22, 0, "play", ""},
      {33, 11, "bufferStart", ""},
      {36, 11, "play", ""},
      {46, 21, "adBreakStart",
       R"("params":{"media.ad.podFriendlyName":"ad_pod2","media.ad.podIndex":1,
          "media.ad.podSecond":21})"},
      {46, 21, "adStart",
       R"("params":{)" + ad + R"("media.ad.id":"003","media.ad.podPosition":1})"},
      {54, 21, "adComplete", ""},
      {54, 21, "adBreakComplete", ""},
      {64, 31, "pauseStart", ""},
      {74, 31, "play", ""},
      {88, 45, "sessionComplete", ""},
  };
  // Pings fall every second strictly inside each ad (playhead frozen) ...
  auto add_ad_pings = [&rows](int from, int to, double playhead) {
    for (int t = from; t <= to; ++t)
      rows.push_back({t, playhead, "ping", ""});
  };
  add_ad_pings(1, 14, 0);
  add_ad_pings(16, 21, 0);
  add_ad_pings(47, 53, 21);
  // ... and on the 10-s grid from sessionStart on main content.
  rows.push_back({30, 8, "ping", ""});
  rows.push_back({40, 15, "ping", ""});
  rows.push_back({60, 27, "ping", ""});
  rows.push_back({70, 31, "ping", ""});
  rows.push_back({80, 37, "ping", ""});
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row &a, const Row &b) { return a.t < b.t; });

  // Rows that share a t get ts 1 ms apart, in table order.
  std::vector<Step> steps;
  int64_t ms = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    ms = (i > 0 && rows[i].t == rows[i - 1].t) ? ms + 1 : rows[i].t * int64_t{1000};
    steps.push_back({ev(rows[i].type, ms, rows[i].extra, rows[i].playhead), ""});
  }
  run(steps);
}
GST_END_TEST;

static Suite *session_checker_suite(void) {
  Suite *s = suite_create("session-checker");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_event_before_session_start);
  tcase_add_test(tc, test_session_start_repeated);
  tcase_add_test(tc, test_ts_not_increasing);
  tcase_add_test(tc, test_gap_after_backwards_ts);
  tcase_add_test(tc, test_ad_outside_break);
  tcase_add_test(tc, test_ad_not_closed);
  tcase_add_test(tc, test_event_between_break_and_ad);
  tcase_add_test(tc, test_chapters);
  tcase_add_test(tc, test_left_open_at_session_end);
  tcase_add_test(tc, test_left_open_at_close);
  tcase_add_test(tc, test_play_before_preroll);
  tcase_add_test(tc, test_gap_too_long);
  tcase_add_test(tc, test_gap_at_int64_extremes);
  tcase_add_test(tc, test_playhead_out_of_range);
  tcase_add_test(tc, test_params_on_ping);
  tcase_add_test(tc, test_qoe_outside_qoedata);
  tcase_add_test(tc, test_custom_metadata_invalid);
  tcase_add_test(tc, test_value_out_of_range);
  tcase_add_test(tc, test_value_out_of_range_messages);
  tcase_add_test(tc, test_check_request_needs_no_session);
  tcase_add_test(tc, test_event_after_session_end);
  tcase_add_test(tc, test_rejected_requests);
  tcase_add_test(tc, test_non_object_bodies);
  tcase_add_test(tc, test_timeline_1_is_clean);
  return s;
}

GST_CHECK_MAIN(session_checker);
