// P2 (issue 6): the streaming thread never waits on the network.
//
// A clock-paced pipeline (videotestsrc at 100 fps ! mediaanalytics !
// fakesink sync=true) plays against a collector that holds every `sessions`
// answer 5 s and every event 1 s, and, interleaved in the same process,
// against a second collector without delays. The figure is the largest gap
// between two buffers at the sink (fakesink handoff, monotonic clock) while
// PLAYING, delayed against undelayed; p99 beside it.
//
// Traffic during the run: the sessionStart, pings every second, in-band
// state calls (mediaanalytics/state-start and -end custom events, which the
// element handles on the streaming thread) every 500 ms, and a pause and
// resume (pauseStart, then the `play` the streaming thread makes with the
// first buffer after the resume). Gaps are measured only while PLAYING:
// not across the start, the pause or the stop; the gap that includes the
// resume's `play` is measured. The record of the delayed collector shows
// that requests were held while the gaps were measured.
//
// Both runs use request-timeout=10 s (the default, 5 s, would time the
// delayed sessionStart out and retry it forever: no event would be sent).

#include "bench-common.h"
#include "collector-process.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

using collector_test::Collector;
using collector_test::Line;
using collector_test::Lines;

struct Options {
  int rounds = 2;             // delayed and undelayed runs, interleaved
  double play_s = 10;         // PLAYING time of one run (the pause comes on top)
  int delay_sessions = 5000;  // ms, the delayed collector's --delay-sessions
  int delay_events = 1000;    // ms, --delay-events
  int ping_ms = 1000;         // the element's ping-interval (its minimum)
  int request_timeout_ms = 10000;
  int fps = 100;
};

// The gap meter, on the fakesink's handoff (streaming thread). The main
// thread switches it off around state changes and bumps `epoch` so that
// the first buffer after a resume starts a new series.
struct GapMeter {
  std::atomic<bool> measuring{false};
  std::atomic<int> epoch{0};
  int seen_epoch = -1;           // streaming thread only
  int64_t last_ns = 0;           // streaming thread only
  std::vector<double> gaps_ms;   // streaming thread while measuring
  std::vector<int64_t> ends_ns;  // when each gap ended (monotonic)
  std::atomic<uint64_t> buffers{0};
};

void on_handoff(GstElement *, GstBuffer *, GstPad *, gpointer data) {
  auto *m = static_cast<GapMeter *>(data);
  const int64_t now = bench::now_ns();
  m->buffers.fetch_add(1, std::memory_order_relaxed);
  if (!m->measuring.load(std::memory_order_acquire)) {
    m->last_ns = 0;
    return;
  }
  const int epoch = m->epoch.load(std::memory_order_acquire);
  if (epoch != m->seen_epoch) {
    m->seen_epoch = epoch;
    m->last_ns = 0;
  }
  if (m->last_ns != 0 && m->gaps_ms.size() < m->gaps_ms.capacity()) {
    m->gaps_ms.push_back(static_cast<double>(now - m->last_ns) / 1e6);
    m->ends_ns.push_back(now);
  }
  m->last_ns = now;
}

struct Run {
  bool delayed = false;
  int round = 0;
  std::vector<double> gaps_ms;
  double max_at_s = 0;  // when the largest gap ended, from the window's start
  uint64_t buffers = 0;
  int64_t start_us = 0;  // wall clock (the record's time_us)
  int64_t window_start_us = 0;
  int64_t window_end_us = 0;
  uint64_t max_queued = 0;  // stats events-queued, sampled while playing
  uint64_t generated = 0, sent = 0, dropped = 0;
  unsigned warnings = 0;
  // From the record.
  unsigned requests = 0;        // arrived at the collector
  unsigned answered = 0;        // 2xx
  unsigned abandoned = 0;       // status 0: the client gave up (or stopped) first
  unsigned held_in_window = 0;  // requests whose hold overlapped the window
  double held_share = 0;        // share of the window with a request held
};

using bench::die;
using bench::load_average;

bool parse_int(const std::string &arg, const char *name, int *out) {
  const std::string prefix = std::string(name) + "=";
  if (arg.compare(0, prefix.size(), prefix) != 0)
    return false;
  *out = atoi(arg.c_str() + prefix.size());
  return true;
}

uint64_t stat_of(GstElement *ma, const char *field) {
  GstStructure *stats = nullptr;
  g_object_get(ma, "stats", &stats, nullptr);
  guint64 value = 0;
  if (stats) {
    gst_structure_get_uint64(stats, field, &value);
    gst_structure_free(stats);
  }
  return value;
}

// Pops the bus: fails on an ERROR, counts the element's WARNINGs.
void drain_bus(GstBus *bus, Run *run) {
  while (GstMessage *m = gst_bus_pop(bus)) {
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
      GError *error = nullptr;
      gst_message_parse_error(m, &error, nullptr);
      g_printerr("bench-isolation: ERROR from %s: %s\n", GST_MESSAGE_SRC_NAME(m),
                 error->message);
      exit(1);
    }
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_WARNING) {
      GError *error = nullptr;
      gst_message_parse_warning(m, &error, nullptr);
      if (run->warnings++ < 3)
        g_printerr("bench-isolation: WARNING from %s: %s\n", GST_MESSAGE_SRC_NAME(m),
                   error->message);
      g_error_free(error);
    }
    gst_message_unref(m);
  }
}

void set_state_and_wait(GstElement *pipeline, GstState state) {
  if (gst_element_set_state(pipeline, state) == GST_STATE_CHANGE_FAILURE)
    die("a state change failed");
  if (gst_element_get_state(pipeline, nullptr, nullptr, 10 * GST_SECOND) ==
      GST_STATE_CHANGE_FAILURE)
    die("the pipeline did not reach its state");
}

// An in-band call, handled by the element on the streaming thread.
void send_state_call(GstElement *src, bool start) {
  GstStructure *s =
      gst_structure_new(start ? "mediaanalytics/state-start" : "mediaanalytics/state-end",
                        "media.state.name", G_TYPE_STRING, "fullScreen", nullptr);
  if (!gst_element_send_event(src, gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM, s)))
    die("the source refused the custom event");
}

// Plays `step_s` seconds, making the calls and sampling the element.
void play_for(double step_s, GstElement *src, GstElement *ma, GstBus *bus, Run *run,
              bool *state_on, int64_t *next_call_ns) {
  const int64_t end = bench::now_ns() + static_cast<int64_t>(step_s * 1e9);
  while (bench::now_ns() < end) {
    const int64_t now = bench::now_ns();
    if (now >= *next_call_ns) {
      *state_on = !*state_on;
      send_state_call(src, *state_on);
      *next_call_ns = now + 500 * 1000000LL;
    }
    run->max_queued = std::max<uint64_t>(run->max_queued, stat_of(ma, "events-queued"));
    drain_bus(bus, run);
    g_usleep(20000);
  }
}

Run play_once(const Options &o, Collector &collector, bool delayed, int round) {
  Run run;
  run.delayed = delayed;
  run.round = round;
  run.start_us = g_get_real_time();
  char media_id[64];
  g_snprintf(media_id, sizeof media_id, "isolation-%s-%d", delayed ? "delayed" : "plain",
             round);
  const std::string desc =
      "videotestsrc name=src is-live=false pattern=black ! "
      "video/x-raw,format=I420,width=64,height=64,framerate=" +
      std::to_string(o.fps) + "/1 ! mediaanalytics name=ma " +
      bench::element_properties(collector.url(), media_id) +
      " ping-interval=" + std::to_string(static_cast<int64_t>(o.ping_ms) * 1000000) +
      " request-timeout=" +
      std::to_string(static_cast<int64_t>(o.request_timeout_ms) * 1000000) +
      " ! fakesink name=sink sync=true signal-handoffs=true";
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(desc.c_str(), &error);
  if (!pipeline || error)
    die(error ? error->message : "no pipeline");
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  GstElement *ma = gst_bin_get_by_name(GST_BIN(pipeline), "ma");
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  GstBus *bus = gst_element_get_bus(pipeline);
  auto meter = std::make_unique<GapMeter>();
  meter->gaps_ms.reserve(static_cast<size_t>(o.play_s * o.fps * 4 + 1000));
  meter->ends_ns.reserve(meter->gaps_ms.capacity());
  g_signal_connect(sink, "handoff", G_CALLBACK(on_handoff), meter.get());

  set_state_and_wait(pipeline, GST_STATE_PLAYING);
  run.window_start_us = g_get_real_time();
  const int64_t window_start_ns = bench::now_ns();
  meter->measuring.store(true, std::memory_order_release);

  // Play, pause in the middle, resume, play the rest.
  bool state_on = false;
  int64_t next_call_ns = bench::now_ns() + 250 * 1000000LL;
  const double first = o.play_s * 0.6;
  play_for(first, src, ma, bus, &run, &state_on, &next_call_ns);
  meter->measuring.store(false, std::memory_order_release);
  set_state_and_wait(pipeline, GST_STATE_PAUSED);
  g_usleep(o.play_s >= 5 ? 500000 : 200000);
  drain_bus(bus, &run);
  meter->epoch.fetch_add(1, std::memory_order_release);
  meter->measuring.store(true, std::memory_order_release);
  set_state_and_wait(pipeline, GST_STATE_PLAYING);
  play_for(o.play_s - first, src, ma, bus, &run, &state_on, &next_call_ns);
  meter->measuring.store(false, std::memory_order_release);
  run.window_end_us = g_get_real_time();

  // Everything the streaming thread wrote is visible once it stopped.
  if (gst_element_set_state(pipeline, GST_STATE_NULL) == GST_STATE_CHANGE_FAILURE)
    die("the pipeline did not stop");
  run.gaps_ms = std::move(meter->gaps_ms);
  if (!run.gaps_ms.empty()) {
    const size_t at = static_cast<size_t>(
        std::max_element(run.gaps_ms.begin(), run.gaps_ms.end()) - run.gaps_ms.begin());
    run.max_at_s = static_cast<double>(meter->ends_ns[at] - window_start_ns) / 1e9;
  }
  run.buffers = meter->buffers.load();
  run.generated = stat_of(ma, "events-generated");
  run.sent = stat_of(ma, "events-sent");
  run.dropped = stat_of(ma, "events-dropped");
  gst_object_unref(bus);
  gst_object_unref(sink);
  gst_object_unref(ma);
  gst_object_unref(src);
  gst_object_unref(pipeline);
  if (run.gaps_ms.size() < 10)
    die("fewer than 10 buffer gaps were measured");
  return run;
}

// Fills the record-derived fields of the runs made against `collector`.
// A request belongs to the latest run that started before it arrived.
void read_record(const Collector &collector, const Options &o, std::vector<Run *> runs) {
  const Lines lines = collector.record();
  std::vector<std::vector<std::pair<int64_t, int64_t>>> held(runs.size());
  for (const Line &l : lines) {
    if (!l.is_request())
      continue;
    const int64_t arrival = l.num("time_us");
    int index = -1;
    for (size_t i = 0; i < runs.size(); i++)
      if (runs[i]->start_us <= arrival)
        index = static_cast<int>(i);
    if (index < 0)
      continue;
    Run &run = *runs[index];
    run.requests++;
    const int64_t status = l.num("status");
    if (status >= 200 && status < 300)
      run.answered++;
    else if (status == 0)
      run.abandoned++;
    if (run.delayed) {
      const std::string endpoint = l.str("endpoint");
      const int64_t delay_ms = endpoint == "sessions" ? o.delay_sessions
                               : endpoint == "events" ? o.delay_events
                                                      : 0;
      const int64_t from = std::max(arrival, run.window_start_us);
      const int64_t to = std::min(arrival + delay_ms * 1000, run.window_end_us);
      if (to > from) {
        run.held_in_window++;
        held[index].emplace_back(from, to);
      }
    }
  }
  for (size_t i = 0; i < runs.size(); i++) {
    auto &spans = held[i];
    std::sort(spans.begin(), spans.end());
    int64_t covered = 0, cur_from = 0, cur_to = -1;
    for (const auto &s : spans) {
      if (s.first > cur_to) {
        if (cur_to > cur_from)
          covered += cur_to - cur_from;
        cur_from = s.first;
        cur_to = s.second;
      } else {
        cur_to = std::max(cur_to, s.second);
      }
    }
    if (cur_to > cur_from)
      covered += cur_to - cur_from;
    const int64_t window = runs[i]->window_end_us - runs[i]->window_start_us;
    runs[i]->held_share = window > 0 ? static_cast<double>(covered) / window : 0;
  }
}

}  // namespace

int main(int argc, char **argv) {
  bench::Args args =
      bench::init(&argc, &argv, "bench-isolation",
                  "[--rounds=N] [--play-s=S] [--delay-sessions=MS] [--delay-events=MS] "
                  "[--request-timeout-ms=MS]");
  Options o;
  if (args.smoke) {
    o.rounds = 1;
    o.play_s = 1.5;
    o.delay_sessions = 500;
    o.delay_events = 200;
  }
  for (const std::string &a : args.rest) {
    int play_s = 0;
    if (parse_int(a, "--rounds", &o.rounds) ||
        parse_int(a, "--delay-sessions", &o.delay_sessions) ||
        parse_int(a, "--delay-events", &o.delay_events) ||
        parse_int(a, "--request-timeout-ms", &o.request_timeout_ms)) {
    } else if (parse_int(a, "--play-s", &play_s)) {
      o.play_s = play_s;
    } else {
      g_printerr("bench-isolation: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (o.rounds < 1 || o.play_s < 1)
    die("--rounds and --play-s must be at least 1");

  const double load_before = load_average();
  collector_test::make_base_dir();
  {
    Collector plain;
    Collector slow({"--delay-sessions=" + std::to_string(o.delay_sessions),
                    "--delay-events=" + std::to_string(o.delay_events)});
    g_print(
        "P2  setup: videotestsrc %d fps 64x64 ! mediaanalytics ping-interval=%d ms "
        "request-timeout=%d ms ! fakesink sync=true; %g s PLAYING per run with a "
        "pause; in-band state calls every 500 ms; delayed collector: "
        "--delay-sessions=%d --delay-events=%d; %d round(s), undelayed and "
        "delayed, the order alternating; an unmeasured warm-up run first\n",
        o.fps, o.ping_ms, o.request_timeout_ms, o.play_s, o.delay_sessions,
        o.delay_events, o.rounds);

    // Unmeasured (its requests are left out of the record's counts): the
    // first run of the process pays for what is done once (code paged in,
    // the first connection), which must not count against either side.
    Options warmup = o;
    warmup.play_s = std::min(o.play_s / 2, 2.0);
    play_once(warmup, plain, false, 0);

    // Rounds alternate the order (undelayed first in odd rounds), so that
    // neither side always runs right after the other's teardown.
    std::vector<Run> runs;
    runs.reserve(2 * o.rounds);
    for (int r = 1; r <= o.rounds; r++) {
      const bool delayed_first = r % 2 == 0;
      runs.push_back(play_once(o, delayed_first ? slow : plain, delayed_first, r));
      runs.push_back(play_once(o, delayed_first ? plain : slow, !delayed_first, r));
    }
    // Stopping the collectors completes their records (held requests too).
    if (plain.stop() != 0 || slow.stop() != 0)
      die("a collector did not exit cleanly");
    std::vector<Run *> plain_runs, slow_runs;
    for (Run &run : runs)
      (run.delayed ? slow_runs : plain_runs).push_back(&run);
    read_record(plain, o, plain_runs);
    read_record(slow, o, slow_runs);

    std::vector<double> gaps[2];
    unsigned arrived[2] = {0, 0}, requests[2] = {0, 0};
    for (const Run &run : runs) {
      g_print("    round %d %-9s: %5zu gaps (%" G_GUINT64_FORMAT
              " buffers), max %6.2f ms (%.2f s in), p99 %6.2f ms; events generated "
              "%" G_GUINT64_FORMAT ", sent %" G_GUINT64_FORMAT
              ", dropped %" G_GUINT64_FORMAT
              "; at the collector: %u requests, %u answered 2xx, %u abandoned; "
              "queued in the element up to %" G_GUINT64_FORMAT
              "; requests held in the window %u (%.0f %% of it)\n",
              run.round, run.delayed ? "delayed" : "undelayed", run.gaps_ms.size(),
              run.buffers, *std::max_element(run.gaps_ms.begin(), run.gaps_ms.end()),
              run.max_at_s, bench::quantile(run.gaps_ms, 0.99), run.generated, run.sent,
              run.dropped, run.requests, run.answered, run.abandoned, run.max_queued,
              run.held_in_window, 100 * run.held_share);
      const int k = run.delayed ? 1 : 0;
      gaps[k].insert(gaps[k].end(), run.gaps_ms.begin(), run.gaps_ms.end());
      arrived[k] += run.answered;
      requests[k] += run.requests;
      if (!run.delayed && run.answered == 0)
        die("an undelayed run had no request answered: the setup does not work");
      if (run.delayed && run.answered == 0)
        g_print(
            "    round %d delayed: no request was answered in time (request-timeout "
            "%d ms against --delay-sessions=%d)\n",
            run.round, o.request_timeout_ms, o.delay_sessions);
      if (run.delayed && run.held_in_window == 0)
        die("the delayed run had no request held while the gaps were measured");
    }
    const double max_slow = *std::max_element(gaps[1].begin(), gaps[1].end());
    const double max_plain = *std::max_element(gaps[0].begin(), gaps[0].end());
    bench::figure("P2", "max buffer gap at the sink, ms (delayed collector)", max_slow,
                  "undelayed", max_plain, 1.1);
    bench::figure("P2", "p99 buffer gap at the sink, ms (delayed collector)",
                  bench::quantile(gaps[1], 0.99), "undelayed",
                  bench::quantile(gaps[0], 0.99), 1.1);
    bench::note("P2", "nominal buffer interval, ms", 1000.0 / o.fps);
    bench::note("P2", "events answered 2xx, delayed runs", arrived[1]);
    bench::note("P2", "events answered 2xx, undelayed runs", arrived[0]);
    bench::note("P2", "requests arrived, delayed runs", requests[1]);
    bench::note("P2", "requests arrived, undelayed runs", requests[0]);
    double share = 0;
    unsigned held = 0;
    for (const Run *run : slow_runs) {
      share += run->held_share / slow_runs.size();
      held += run->held_in_window;
    }
    bench::note("P2", "delayed requests held while gaps measured", held);
    bench::note("P2", "share of the window with a request held, %", 100 * share);
  }
  bench::note("P2", "load average (1 min) before the run", load_before);
  bench::note("P2", "load average (1 min) after the run", load_average());
  collector_test::remove_base_dir();
  return 0;
}
