// P3, P4 and P6 of issue 6: how fast the element's reports reach the local
// collector (tests/collector/collector-process.h), all read from the
// collector's record (time_us: when the request's headers arrived; peer: the
// TCP connection).
//
// P3: latency from a cause on a real pipeline (a state change, a BUFFERING
//     message on the pipeline bus, a seek) to the arrival of the event it
//     makes. Causes follow a fixed cycle, so the n-th event after the
//     session's first play is the n-th expected one; each cause is made once
//     the previous event was answered, and at least --gap-us after the
//     previous cause: nothing queues behind an earlier request.
// P4: events per second one process delivers over keep-alive: a burst of
//     statesUpdate events (state-start/state-end "fullScreen", the action
//     signals) queued in 1 and in N elements, against a plain libsoup client
//     (one SoupSession on its own thread and GMainContext, idempotent POSTs,
//     one request in flight per stream) posting the same bodies, taken from
//     the record of the element run, with 1 and with N streams. The rate is
//     counted over the arrivals once the whole burst was queued (the queues
//     are full: the element delivers at its own pace), the same way for the
//     plain client (whose work is all there from the start). Element and
//     plain client take turns for --rounds rounds, each against a collector
//     of its own; the figure is the ratio of the medians. The CPU time of the
//     sending threads and of the collector is printed beside it (schedstat).
// P6: distinct TCP connections (peers) per 1,000 requests of the P4 element
//     runs (all rounds).
#include "bench-common.h"
#include "collector-process.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>
#include <unistd.h>

using collector_test::Collector;
using collector_test::Line;
using collector_test::Lines;

namespace {

struct Config {
  size_t latency_events = 10000;  // P3: measured events
  int64_t gap_us = 1000;          // P3: least time between two causes
  size_t burst = 4000;            // P4: events of the 1-element burst
  size_t elements = 100;          // P4: elements of the many-element case
  size_t per_element = 100;       // P4: events per element in that case
  int ref_conns = 16;             // P4: max-conns-per-host of the plain client
  int rounds = 5;                 // P4: interleaved rounds of each
};

// Something did not work (not a missed goal): say what, exit 1.
[[noreturn]] void die(const char *format, ...) G_GNUC_PRINTF(1, 2);
void die(const char *format, ...) {
  va_list args;
  va_start(args, format);
  g_autofree char *text = g_strdup_vprintf(format, args);
  va_end(args);
  g_printerr("bench-delivery: %s\n", text);
  collector_test::remove_base_dir();
  // Pipelines and threads may still run: no destructors (the collector dies
  // with us, see collector-process.cpp).
  _exit(1);
}

double ms(int64_t us) {
  return static_cast<double>(us) / 1000.0;
}

// ---------------------------------------------------------------------------
// Where the CPU goes: the time threads spent on a CPU, from the kernel's
// schedstat (ns; 0 when it cannot be read).

int64_t schedstat_ns(const std::string &path) {
  g_autofree char *text = nullptr;
  if (!g_file_get_contents(path.c_str(), &text, nullptr, nullptr))
    return 0;
  return g_ascii_strtoll(text, nullptr, 10);
}

// Every thread of process `pid` ("self" for this one).
int64_t process_cpu_ns(const std::string &pid) {
  const std::string dir_name = "/proc/" + pid + "/task";
  g_autoptr(GDir) dir = g_dir_open(dir_name.c_str(), 0, nullptr);
  int64_t total = 0;
  while (const char *task = dir ? g_dir_read_name(dir) : nullptr)
    total += schedstat_ns(dir_name + "/" + task + "/schedstat");
  return total;
}

// The schedstat path of this process's thread named `name`; "" when none.
std::string thread_named(const char *name) {
  g_autoptr(GDir) dir = g_dir_open("/proc/self/task", 0, nullptr);
  while (const char *task = dir ? g_dir_read_name(dir) : nullptr) {
    const std::string base = std::string("/proc/self/task/") + task;
    g_autofree char *comm = nullptr;
    if (g_file_get_contents((base + "/comm").c_str(), &comm, nullptr, nullptr) &&
        g_strcmp0(g_strchomp(comm), name) == 0)
      return base + "/schedstat";
  }
  return "";
}

int64_t thread_cpu_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// ---------------------------------------------------------------------------
// A pipeline with a mediaanalytics element, and what its sending thread
// reported (the mediaanalytics-event messages, read in a bus sync handler).

// The reports of every element of the process; the burst's waiter sleeps
// until they reach g_reports_wanted (no polling beside the threads measured).
std::atomic<uint64_t> g_reports{0};
std::atomic<uint64_t> g_reports_wanted{0};
std::mutex g_reports_lock;
std::condition_variable g_reports_cond;

struct Reports {
  std::mutex lock;
  std::condition_variable cond;
  std::map<std::string, size_t> by_type;
  size_t total = 0;
  std::vector<std::string> problems;  // non-2xx answers, WARNINGs, ERRORs
};

GstBusSyncReply on_sync_message(GstBus *, GstMessage *message, gpointer data) {
  auto *reports = static_cast<Reports *>(data);
  const GstMessageType type = GST_MESSAGE_TYPE(message);
  if (type == GST_MESSAGE_ELEMENT) {
    const GstStructure *s = gst_message_get_structure(message);
    if (s && gst_structure_has_name(s, "mediaanalytics-event")) {
      const char *event = gst_structure_get_string(s, "event-type");
      guint status = 0;
      gst_structure_get_uint(s, "http-status", &status);
      {
        std::lock_guard<std::mutex> l(reports->lock);
        reports->by_type[event ? event : "?"]++;
        reports->total++;
        if (status < 200 || status >= 300)
          reports->problems.push_back(std::string(event ? event : "?") + " got HTTP " +
                                      std::to_string(status));
      }
      if (++g_reports == g_reports_wanted.load()) {
        std::lock_guard<std::mutex> l(g_reports_lock);
        g_reports_cond.notify_all();
      }
      reports->cond.notify_all();
      // The element's own message: the element ignores it, nobody reads it.
      return GST_BUS_DROP;
    }
  } else if (type == GST_MESSAGE_WARNING || type == GST_MESSAGE_ERROR) {
    g_autoptr(GError) error = nullptr;
    g_autofree char *debug = nullptr;
    if (type == GST_MESSAGE_WARNING)
      gst_message_parse_warning(message, &error, &debug);
    else
      gst_message_parse_error(message, &error, &debug);
    std::lock_guard<std::mutex> l(reports->lock);
    reports->problems.push_back(std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(message))) +
                                ": " + error->message);
  }
  return GST_BUS_PASS;
}

struct Element {
  GstElement *pipeline = nullptr;
  GstElement *ma = nullptr;
  GstElement *src = nullptr;
  GstBus *bus = nullptr;
  Reports reports;

  // videotestsrc at `fps` frames/s ! mediaanalytics ! fakesink sync=true.
  Element(const std::string &url, int fps, const std::string &properties,
          const std::string &media_id) {
    const std::string text =
        "videotestsrc name=src pattern=black ! "
        "video/x-raw,format=I420,width=16,height=16,framerate=" +
        std::to_string(fps) + "/1 ! mediaanalytics name=ma " +
        bench::element_properties(url, media_id.c_str()) + " " + properties +
        " ! fakesink sync=true";
    g_autoptr(GError) error = nullptr;
    pipeline = gst_parse_launch(text.c_str(), &error);
    if (!pipeline || error)
      die("cannot build \"%s\": %s", text.c_str(), error ? error->message : "?");
    ma = gst_bin_get_by_name(GST_BIN(pipeline), "ma");
    src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
    bus = gst_element_get_bus(pipeline);
    gst_bus_set_sync_handler(bus, on_sync_message, &reports, nullptr);
  }
  ~Element() {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_bus_set_sync_handler(bus, nullptr, nullptr, nullptr);
    gst_object_unref(bus);
    gst_object_unref(src);
    gst_object_unref(ma);
    gst_object_unref(pipeline);
  }
  Element(const Element &) = delete;
  Element &operator=(const Element &) = delete;

  // Drops what the bus queued (state changes, ...): nobody reads it.
  void drain_bus() {
    while (GstMessage *m = gst_bus_pop(bus))
      gst_message_unref(m);
  }

  void set_state(GstState state, bool wait = true) {
    if (gst_element_set_state(pipeline, state) == GST_STATE_CHANGE_FAILURE)
      die("set_state(%s) failed", gst_element_state_get_name(state));
    if (wait)
      settle();
  }
  void settle() {
    if (gst_element_get_state(pipeline, nullptr, nullptr, 10 * GST_SECOND) ==
        GST_STATE_CHANGE_FAILURE)
      die("the pipeline did not reach its state");
  }

  size_t total() {
    std::lock_guard<std::mutex> l(reports.lock);
    return reports.total;
  }
  // Waits until `count` reports (of any type) were posted.
  void wait_total(size_t count, const char *what, int timeout_ms = 5000) {
    std::unique_lock<std::mutex> l(reports.lock);
    if (!reports.cond.wait_for(l, std::chrono::milliseconds(timeout_ms),
                               [&] { return reports.total >= count; }))
      die("no answer to %s within %d ms (%zu reports, expected %zu)", what, timeout_ms,
          reports.total, count);
  }
  void wait_type(const char *type, size_t count, int timeout_ms = 10000) {
    std::unique_lock<std::mutex> l(reports.lock);
    if (!reports.cond.wait_for(l, std::chrono::milliseconds(timeout_ms),
                               [&] { return reports.by_type[type] >= count; }))
      die("%zu %s reports, expected %zu", reports.by_type[type], type, count);
  }
  void check_quiet() {
    std::lock_guard<std::mutex> l(reports.lock);
    if (!reports.problems.empty())
      die("%zu problem(s), the first: %s", reports.problems.size(),
          reports.problems.front().c_str());
  }
  guint64 stat(const char *field) {
    GstStructure *stats = nullptr;
    g_object_get(ma, "stats", &stats, nullptr);
    guint64 value = 0;
    if (!stats || !gst_structure_get_uint64(stats, field, &value))
      die("no %s in the stats", field);
    gst_structure_free(stats);
    return value;
  }
};

// The JSON of a request's body, compact.
std::string body_text(const Line &line) {
  JsonNode *body = json_object_get_member(line.object(), "body");
  if (!body || !JSON_NODE_HOLDS_OBJECT(body))
    die("request %" G_GINT64_FORMAT " has no JSON body", line.num("seq"));
  g_autofree char *text = json_to_string(body, FALSE);
  return text;
}

// Stops the collector and returns its requests.
Lines stop_and_read(Collector &collector) {
  if (collector.stop() != 0)
    die("the collector did not exit cleanly");
  return collector_test::requests_of(collector.record());
}

// ---------------------------------------------------------------------------
// P3: latency from cause to arrival.

enum class Cause { kPause, kPlay, kBufferingLow, kBufferingFull, kSeek };

struct Expected {
  const char *type;  // the event the cause makes
  int kind;          // index into kKinds
  int64_t cause_us;  // g_get_real_time() just before the cause
  bool measured;     // false: warm-up
};

// The (cause, event) pairs, as printed.
const char *const kKinds[] = {
    "pause -> pauseStart",    "play -> play",       "BUFFERING 50% -> bufferStart",
    "BUFFERING 100% -> play", "seek -> pauseStart", "seek -> play",
};

void latency_run(const Config &config) {
  const int kFps = 1000;
  const size_t kWarmupCycles = 5;
  Collector collector;
  Element e(collector.url(), kFps, "preroll-wait=0 ping-interval=300000000000",
            "latency");
  e.set_state(GST_STATE_PLAYING);
  e.wait_type("play", 1);  // sessionStart, then the first play

  std::vector<Expected> expected;
  size_t measured = 0;
  int64_t last_cause = 0;
  bool seek_far = false;
  const int64_t run_start = g_get_monotonic_time();
  // One cause: paced, stamped, made; then waits until the `events` it makes
  // were answered.
  auto cause = [&](Cause what, bool measure) {
    const int64_t wait = last_cause + config.gap_us - g_get_monotonic_time();
    if (wait > 0)
      g_usleep(static_cast<gulong>(wait));
    last_cause = g_get_monotonic_time();
    const size_t before = e.total();
    const int64_t t = g_get_real_time();
    size_t events = 1;
    switch (what) {
      case Cause::kPause:
        e.set_state(GST_STATE_PAUSED, false);
        expected.push_back({"pauseStart", 0, t, measure});
        break;
      case Cause::kPlay:
        e.set_state(GST_STATE_PLAYING, false);
        expected.push_back({"play", 1, t, measure});
        break;
      case Cause::kBufferingLow:
        gst_element_post_message(e.src, gst_message_new_buffering(GST_OBJECT(e.src), 50));
        expected.push_back({"bufferStart", 2, t, measure});
        break;
      case Cause::kBufferingFull:
        gst_element_post_message(e.src,
                                 gst_message_new_buffering(GST_OBJECT(e.src), 100));
        expected.push_back({"play", 3, t, measure});
        break;
      case Cause::kSeek:
        seek_far = !seek_far;
        if (!gst_element_seek_simple(
                e.pipeline, GST_FORMAT_TIME,
                static_cast<GstSeekFlags>(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE),
                seek_far ? 3 * GST_SECOND : GST_SECOND))
          die("the seek failed");
        expected.push_back({"pauseStart", 4, t, measure});
        expected.push_back({"play", 5, t, measure});
        events = 2;
        break;
    }
    e.wait_total(before + events, kKinds[expected.back().kind]);
    if (what == Cause::kPause || what == Cause::kSeek)
      e.settle();  // PAUSED prerolled; PLAYING again after the seek's preroll
    if (measure)
      measured += events;
    e.drain_bus();
  };
  const Cause kCycle[] = {Cause::kPause, Cause::kPlay, Cause::kBufferingLow,
                          Cause::kBufferingFull, Cause::kSeek};
  for (size_t cycle = 0; measured < config.latency_events; cycle++)
    for (Cause c : kCycle)
      cause(c, cycle >= kWarmupCycles);
  const double seconds = static_cast<double>(g_get_monotonic_time() - run_start) / 1e6;
  e.check_quiet();
  e.set_state(GST_STATE_NULL);
  const Lines requests = stop_and_read(collector);

  // The record without pings: sessionStart, play, then the expected events.
  std::vector<const Line *> events;
  for (const Line &r : requests)
    if (r.event_type() != "ping")
      events.push_back(&r);
  if (events.size() < expected.size() + 2 || events[0]->event_type() != "sessionStart" ||
      events[1]->event_type() != "play")
    die("the record has %zu events for %zu causes (+ sessionStart, play)", events.size(),
        expected.size());
  std::vector<double> all;
  std::vector<std::vector<double>> by_kind(G_N_ELEMENTS(kKinds));
  for (size_t i = 0; i < expected.size(); i++) {
    const Line &r = *events[i + 2];
    if (r.event_type() != expected[i].type)
      die("event %zu of the record is a %s, expected a %s (%s)", i + 2,
          r.event_type().c_str(), expected[i].type, kKinds[expected[i].kind]);
    if (r.num("status") != 204)
      die("event %zu (%s) was answered %" G_GINT64_FORMAT, i + 2, expected[i].type,
          r.num("status"));
    if (!expected[i].measured)
      continue;
    const double latency = ms(r.num("time_us") - expected[i].cause_us);
    all.push_back(latency);
    by_kind[expected[i].kind].push_back(latency);
  }

  g_print(
      "P3: videotestsrc %d fps ! mediaanalytics ! fakesink sync=true; causes in a cycle "
      "(pause, play, BUFFERING 50%% and 100%% posted by the source, flushing seek), "
      "each made once the previous event was answered and >= %.1f ms after the "
      "previous cause (%zu warm-up cycles not counted); a play goes with the first "
      "buffer after its cause (one every ms); latency = record time_us - "
      "g_get_real_time() before the cause; %.1f s\n",
      kFps, ms(config.gap_us), kWarmupCycles, seconds);
  bench::note("P3", "latency p50 ms (all events)", bench::quantile(all, 0.5));
  bench::absolute("P3", "latency p99 ms (all events)", bench::quantile(all, 0.99), 5);
  bench::note("P3", "latency max ms", bench::quantile(all, 1.0));
  bench::note("P3", "events measured", static_cast<double>(all.size()));
  for (size_t k = 0; k < by_kind.size(); k++) {
    const std::string p50 = std::string("  p50 ms ") + kKinds[k];
    const std::string p99 = std::string("  p99 ms ") + kKinds[k];
    bench::note("P3", p50.c_str(), bench::quantile(by_kind[k], 0.5));
    bench::note("P3", p99.c_str(), bench::quantile(by_kind[k], 0.99));
  }
}

// ---------------------------------------------------------------------------
// P4, P6: the element's delivery rate.

struct Stream {
  std::string start_body;           // the sessionStart
  std::vector<std::string> bodies;  // the burst's events, in order
};

struct Rate {
  double per_second = 0;
  size_t counted = 0;         // arrivals in the window
  double window_ms = 0;       // first to last arrival counted
  double all_per_second = 0;  // over every arrival of the burst
};

// Events per second over the arrivals at or after `from_us` (the burst
// queued), among `arrivals` (time_us, in record order).
Rate rate_of(std::vector<int64_t> arrivals, int64_t from_us) {
  Rate rate;
  std::sort(arrivals.begin(), arrivals.end());
  if (arrivals.size() < 2)
    die("%zu arrivals: too few to make a rate", arrivals.size());
  auto first = std::lower_bound(arrivals.begin(), arrivals.end(), from_us);
  // Too little left after the burst was queued: count them all.
  if (arrivals.end() - first < static_cast<long>(arrivals.size() / 4) ||
      arrivals.end() - first < 2)
    first = arrivals.begin();
  rate.counted = static_cast<size_t>(arrivals.end() - first);
  const int64_t window = arrivals.back() - *first;
  rate.window_ms = ms(window);
  rate.per_second = window > 0 ? 1e6 * static_cast<double>(rate.counted - 1) /
                                     static_cast<double>(window)
                               : 0;
  const int64_t all = arrivals.back() - arrivals.front();
  rate.all_per_second =
      all > 0 ? 1e6 * static_cast<double>(arrivals.size() - 1) / static_cast<double>(all)
              : 0;
  return rate;
}

struct ElementRun {
  Rate rate;
  int64_t sender_cpu_ns = 0;     // the sending thread, during the burst
  int64_t collector_cpu_ns = 0;  // the collector, during the burst
  std::vector<Stream> streams;
  size_t requests = 0;     // every request of the run
  size_t connections = 0;  // distinct peers among them
  double emit_ms = 0;      // time to queue the burst
};

// `count` elements, each with an open session, get `per_element` statesUpdate
// events each (round robin) as fast as the action signals take them.
ElementRun element_run(size_t count, size_t per_element) {
  Collector collector;
  const size_t max_queue = std::max<size_t>(1000, per_element + 64);
  const std::string properties =
      "preroll-wait=0 ping-interval=300000000000 "
      "stall-threshold=0 max-queue=" +
      std::to_string(max_queue);
  std::vector<std::unique_ptr<Element>> elements;
  for (size_t i = 0; i < count; i++)
    elements.push_back(std::make_unique<Element>(collector.url(), 10, properties,
                                                 "rate-" + std::to_string(i)));
  for (auto &e : elements)
    e->set_state(GST_STATE_PLAYING, false);
  for (auto &e : elements) {
    e->settle();
    e->wait_type("play", 1);
    e->drain_bus();
  }

  const guint start_id = g_signal_lookup("state-start", G_OBJECT_TYPE(elements[0]->ma));
  const guint end_id = g_signal_lookup("state-end", G_OBJECT_TYPE(elements[0]->ma));
  const std::string sender = thread_named("mediaanalytics");
  if (sender.empty())
    die("no thread named mediaanalytics");
  const int64_t sender_cpu = schedstat_ns(sender);
  const int64_t collector_cpu = process_cpu_ns(collector.pid());
  const uint64_t reports_before = g_reports.load();
  const int64_t emit_start = g_get_monotonic_time();
  for (size_t i = 0; i < per_element; i++) {
    for (auto &e : elements) {
      gboolean accepted = FALSE;
      g_signal_emit(e->ma, i % 2 == 0 ? start_id : end_id, 0, "fullScreen", &accepted);
      if (!accepted)
        die("state-%s was refused", i % 2 == 0 ? "start" : "end");
    }
  }
  const int64_t queued_us = g_get_real_time();
  ElementRun run;
  run.emit_ms = ms(g_get_monotonic_time() - emit_start);
  const uint64_t want = reports_before + count * per_element;
  {
    std::unique_lock<std::mutex> l(g_reports_lock);
    g_reports_wanted.store(want);
    if (!g_reports_cond.wait_for(l, std::chrono::seconds(120),
                                 [&] { return g_reports.load() >= want; }))
      die("%" G_GUINT64_FORMAT " of %zu events answered after 120 s",
          g_reports.load() - reports_before, count * per_element);
  }
  run.sender_cpu_ns = schedstat_ns(sender) - sender_cpu;
  run.collector_cpu_ns = process_cpu_ns(collector.pid()) - collector_cpu;
  for (auto &e : elements) {
    e->check_quiet();
    if (e->stat("events-dropped") != 0)
      die("the element dropped %" G_GUINT64_FORMAT " events", e->stat("events-dropped"));
  }
  elements.clear();  // NULL: sessionEnd
  const Lines requests = stop_and_read(collector);

  std::map<std::string, size_t> stream_of;  // session id -> index
  std::set<std::string> peers;
  std::vector<int64_t> arrivals;
  for (const Line &r : requests) {
    run.requests++;
    peers.insert(r.str("peer"));
    const std::string type = r.event_type();
    if (type == "sessionStart") {
      if (r.num("status") != 201)
        die("a sessionStart was answered %" G_GINT64_FORMAT, r.num("status"));
      stream_of[r.str("session")] = run.streams.size();
      run.streams.push_back({body_text(r), {}});
    } else if (type == "statesUpdate") {
      if (r.num("status") != 204)
        die("a statesUpdate was answered %" G_GINT64_FORMAT, r.num("status"));
      auto it = stream_of.find(r.str("session"));
      if (it == stream_of.end())
        die("a statesUpdate to an unknown session");
      run.streams[it->second].bodies.push_back(body_text(r));
      arrivals.push_back(r.num("time_us"));
    }
  }
  if (run.streams.size() != count || arrivals.size() != count * per_element)
    die("the record has %zu sessions and %zu statesUpdate, expected %zu and %zu",
        run.streams.size(), arrivals.size(), count, count * per_element);
  run.connections = peers.size();
  run.rate = rate_of(std::move(arrivals), queued_us);
  return run;
}

// ---------------------------------------------------------------------------
// The reference: a plain libsoup client.

struct PlainClient;

struct PlainStream {
  PlainClient *client = nullptr;
  const Stream *stream = nullptr;
  std::string events_url;  // from the Location of the sessionStart's 201
  size_t next = 0;
};

struct PlainClient {
  std::string base;
  int conns_per_host = 16;
  std::vector<PlainStream> streams;
  GMainContext *context = nullptr;
  GMainLoop *loop = nullptr;
  SoupSession *session = nullptr;
  size_t running = 0;  // streams still busy in this phase
  std::string error;   // the first failure
  int64_t started_us = 0;
  int64_t cpu_ns = 0;            // of the client's thread, sending the events
  int64_t collector_cpu_ns = 0;  // of the collector meanwhile
  std::string collector_pid;
};

struct PlainRequest {
  PlainStream *stream;
  SoupMessage *msg;
  bool start;
};

void plain_done(GObject *source, GAsyncResult *result, gpointer data);

void plain_send(PlainStream *s, bool start) {
  PlainClient *c = s->client;
  const std::string &url = start ? c->base + collector_test::kSessions : s->events_url;
  const std::string &body = start ? s->stream->start_body : s->stream->bodies[s->next];
  SoupMessage *msg = soup_message_new("POST", url.c_str());
  soup_message_add_flags(msg, SOUP_MESSAGE_IDEMPOTENT);
  g_signal_connect(msg, "got-headers",
                   G_CALLBACK(collector_test::declare_empty_no_content), nullptr);
  g_autoptr(GBytes) bytes = g_bytes_new_static(body.data(), body.size());
  soup_message_set_request_body_from_bytes(msg, "application/json", bytes);
  soup_session_send_and_read_async(c->session, msg, G_PRIORITY_DEFAULT, nullptr,
                                   plain_done, new PlainRequest{s, msg, start});
}

void plain_stream_finished(PlainClient *c) {
  if (--c->running == 0)
    g_main_loop_quit(c->loop);
}

void plain_done(GObject *source, GAsyncResult *result, gpointer data) {
  std::unique_ptr<PlainRequest> r(static_cast<PlainRequest *>(data));
  PlainStream *s = r->stream;
  PlainClient *c = s->client;
  g_autoptr(GError) error = nullptr;
  g_autoptr(GBytes) bytes =
      soup_session_send_and_read_finish(SOUP_SESSION(source), result, &error);
  const unsigned status = bytes ? soup_message_get_status(r->msg) : 0;
  const char *location =
      soup_message_headers_get_one(soup_message_get_response_headers(r->msg), "Location");
  const unsigned want = r->start ? 201 : 204;
  if (status != want || (r->start && !location)) {
    if (c->error.empty())
      c->error = std::string(r->start ? "sessionStart" : "event") + ": HTTP " +
                 std::to_string(status) +
                 (error ? std::string(" ") + error->message : "");
    g_object_unref(r->msg);
    plain_stream_finished(c);
    return;
  }
  if (r->start)
    s->events_url = c->base + location + "/events";
  g_object_unref(r->msg);
  if (r->start) {
    plain_stream_finished(c);
  } else if (++s->next < s->stream->bodies.size()) {
    plain_send(s, false);
  } else {
    plain_stream_finished(c);
  }
}

void plain_thread(PlainClient *c) {
  // Named, so that a profile tells it from the element's sending thread.
  pthread_setname_np(pthread_self(), "plain-client");
  g_main_context_push_thread_default(c->context);
  c->session = soup_session_new_with_options("max-conns", std::max(64, c->conns_per_host),
                                             "max-conns-per-host", c->conns_per_host,
                                             "idle-timeout", 60, nullptr);
  // Open the sessions (not timed), then send every stream's events, one
  // request in flight per stream.
  c->running = c->streams.size();
  for (PlainStream &s : c->streams)
    plain_send(&s, true);
  g_main_loop_run(c->loop);
  if (c->error.empty()) {
    c->running = c->streams.size();
    const int64_t collector_cpu = process_cpu_ns(c->collector_pid);
    const int64_t cpu = thread_cpu_ns();
    c->started_us = g_get_real_time();
    for (PlainStream &s : c->streams)
      plain_send(&s, false);
    g_main_loop_run(c->loop);
    c->cpu_ns = thread_cpu_ns() - cpu;
    c->collector_cpu_ns = process_cpu_ns(c->collector_pid) - collector_cpu;
  }
  soup_session_abort(c->session);
  while (g_main_context_iteration(c->context, FALSE)) {
  }
  g_clear_object(&c->session);
  g_main_context_pop_thread_default(c->context);
}

struct PlainRun {
  Rate rate;
  int64_t cpu_ns = 0;
  int64_t collector_cpu_ns = 0;
  size_t requests = 0;
  size_t connections = 0;
};

PlainRun plain_run(const std::vector<Stream> &streams, int conns_per_host) {
  Collector collector;
  PlainClient client;
  client.base = collector.url();
  client.conns_per_host = conns_per_host;
  client.collector_pid = collector.pid();
  for (const Stream &s : streams)
    client.streams.push_back({&client, &s, "", 0});
  client.context = g_main_context_new();
  client.loop = g_main_loop_new(client.context, FALSE);
  std::thread thread(plain_thread, &client);
  thread.join();
  g_main_loop_unref(client.loop);
  g_main_context_unref(client.context);
  if (!client.error.empty())
    die("the plain client failed: %s", client.error.c_str());
  const Lines requests = stop_and_read(collector);

  PlainRun run;
  size_t expected = 0;
  for (const Stream &s : streams)
    expected += s.bodies.size();
  std::set<std::string> peers;
  std::vector<int64_t> arrivals;
  for (const Line &r : requests) {
    run.requests++;
    peers.insert(r.str("peer"));
    if (r.str("endpoint") == "events" && r.num("status") == 204)
      arrivals.push_back(r.num("time_us"));
  }
  if (arrivals.size() != expected)
    die("the plain client's %zu events: %zu in the record", expected, arrivals.size());
  run.connections = peers.size();
  run.cpu_ns = client.cpu_ns;
  run.collector_cpu_ns = client.collector_cpu_ns;
  run.rate = rate_of(std::move(arrivals), client.started_us);
  return run;
}

// `rounds` interleaved rounds of the element and of the plain client (in
// alternating order, so that a drift of the machine's load hits both); the
// medians. The plain client posts the bodies of the first element round.
void rate_case(size_t count, size_t per_element, int ref_conns, int rounds) {
  std::vector<Stream> streams;
  std::vector<double> element_rates, plain_rates, element_all, plain_all, emit_ms;
  size_t element_connections = 0, element_requests = 0;
  size_t plain_connections = 0, plain_requests = 0;
  int64_t sender_cpu = 0, element_collector_cpu = 0, plain_cpu = 0,
          plain_collector_cpu = 0;
  for (int round = 0; round < rounds; round++) {
    auto run_element = [&]() {
      ElementRun run = element_run(count, per_element);
      element_rates.push_back(run.rate.per_second);
      element_all.push_back(run.rate.all_per_second);
      emit_ms.push_back(run.emit_ms);
      element_connections += run.connections;
      element_requests += run.requests;
      sender_cpu += run.sender_cpu_ns;
      element_collector_cpu += run.collector_cpu_ns;
      if (streams.empty())
        streams = std::move(run.streams);
    };
    auto run_plain = [&]() {
      const PlainRun run = plain_run(streams, ref_conns);
      plain_rates.push_back(run.rate.per_second);
      plain_all.push_back(run.rate.all_per_second);
      plain_connections += run.connections;
      plain_requests += run.requests;
      plain_cpu += run.cpu_ns;
      plain_collector_cpu += run.collector_cpu_ns;
    };
    if (round % 2 == 0 || streams.empty()) {
      run_element();
      run_plain();
    } else {
      run_plain();
      run_element();
    }
  }
  const size_t events = count * per_element;
  auto list = [](const std::vector<double> &rates) {
    std::string out;
    for (double r : rates)
      out += (out.empty() ? "" : " ") + std::to_string(static_cast<int64_t>(r));
    return out;
  };
  g_print(
      "P4: %zu element%s (videotestsrc 10 fps ! mediaanalytics ! fakesink sync=true, "
      "session open) get %zu statesUpdate each (state-start/state-end, queued in "
      "%.1f ms, median); plain client: one SoupSession (max-conns-per-host %d) on its "
      "own thread, %zu stream%s, the same bodies; events/s from the first arrival after "
      "the burst was queued to the last; %d interleaved rounds, medians; element "
      "rounds: %s (over all arrivals %s); plain: %s (over all arrivals %s)\n",
      count, count == 1 ? "" : "s", per_element, bench::quantile(emit_ms, 0.5), ref_conns,
      count, count == 1 ? "" : "s", rounds, list(element_rates).c_str(),
      list(element_all).c_str(), list(plain_rates).c_str(), list(plain_all).c_str());
  const std::string what = "events/s, " + std::to_string(count) +
                           (count == 1 ? " element" : " elements") + " (" +
                           std::to_string(events) + " events)";
  bench::figure("P4", what.c_str(), bench::quantile(element_rates, 0.5), "plain libsoup",
                bench::quantile(plain_rates, 0.5), 0.9, false);
  const double all_events = static_cast<double>(events) * rounds;
  g_print(
      "P4: CPU us per event (schedstat, all rounds): element's sending thread %.1f, "
      "collector %.1f; plain client's thread %.1f, collector %.1f; wall us per event "
      "(1 / median rate): element %.1f, plain %.1f\n",
      static_cast<double>(sender_cpu) / 1000 / all_events,
      static_cast<double>(element_collector_cpu) / 1000 / all_events,
      static_cast<double>(plain_cpu) / 1000 / all_events,
      static_cast<double>(plain_collector_cpu) / 1000 / all_events,
      1e6 / bench::quantile(element_rates, 0.5), 1e6 / bench::quantile(plain_rates, 0.5));
  const std::string conn = "new connections per 1,000 events, " + std::to_string(count) +
                           (count == 1 ? " element" : " elements");
  bench::absolute("P6", conn.c_str(),
                  static_cast<double>(element_connections) * 1000.0 /
                      static_cast<double>(element_requests),
                  2);
  g_print(
      "P6: %zu connection%s for the element's %zu requests (all rounds); the plain "
      "client: %zu for %zu\n",
      element_connections, element_connections == 1 ? "" : "s", element_requests,
      plain_connections, plain_requests);
}

bool parse_count(const std::string &text, int64_t min, int64_t *out) {
  char *end = nullptr;
  const gint64 value = g_ascii_strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < min)
    return false;
  *out = value;
  return true;
}

}  // namespace

int main(int argc, char **argv) {
  bench::Args args = bench::init(
      &argc, &argv, "bench-delivery",
      "[--events N] [--gap-us N] [--burst N] [--elements N] [--per-element N] "
      "[--rounds N] [--ref-conns N] [--skip-latency] [--skip-rate]\n"
      "  --events N       P3: events measured (default 10000; smoke 200)\n"
      "  --gap-us N       P3: least time between two causes, in us (default 1000)\n"
      "  --burst N        P4: events of the 1-element burst (default 4000; smoke 200)\n"
      "  --elements N     P4: elements of the many-element case (default 100; smoke 10)\n"
      "  --per-element N  P4: events per element in that case (default 100; smoke 20)\n"
      "  --rounds N       P4: interleaved rounds of element and plain client, medians\n"
      "                   (default 5; smoke 1)\n"
      "  --ref-conns N    P4: max-conns-per-host of the plain client's SoupSession\n"
      "                   (default 16, as the element's sender)\n"
      "  --skip-latency   do not measure P3\n"
      "  --skip-rate      do not measure P4 and P6");
  Config config;
  if (args.smoke) {
    config.latency_events = 200;
    config.burst = 200;
    config.elements = 10;
    config.per_element = 20;
    config.rounds = 1;
  }
  bool latency = true, rate = true;
  for (size_t i = 0; i < args.rest.size(); i++) {
    const std::string &a = args.rest[i];
    int64_t value = 0;
    const bool has_value = i + 1 < args.rest.size();
    auto number = [&](int64_t min) {
      if (!has_value || !parse_count(args.rest[++i], min, &value)) {
        g_printerr("%s needs a number of at least %" G_GINT64_FORMAT " (see --help)\n",
                   a.c_str(), min);
        exit(2);
      }
      return value;
    };
    if (a == "--events") {
      config.latency_events = static_cast<size_t>(number(1));
    } else if (a == "--gap-us") {
      config.gap_us = number(0);
    } else if (a == "--burst") {
      config.burst = static_cast<size_t>(number(2));
    } else if (a == "--elements") {
      config.elements = static_cast<size_t>(number(1));
    } else if (a == "--per-element") {
      config.per_element = static_cast<size_t>(number(2));
    } else if (a == "--rounds") {
      config.rounds = static_cast<int>(number(1));
    } else if (a == "--ref-conns") {
      config.ref_conns = static_cast<int>(number(1));
    } else if (a == "--skip-latency") {
      latency = false;
    } else if (a == "--skip-rate") {
      rate = false;
    } else {
      g_printerr("unknown argument \"%s\" (see --help)\n", a.c_str());
      return 2;
    }
  }
  // A write to a connection the collector closed must fail, not kill us.
  signal(SIGPIPE, SIG_IGN);

  collector_test::make_base_dir();
  if (latency)
    latency_run(config);
  if (rate) {
    rate_case(1, config.burst, config.ref_conns, config.rounds);
    rate_case(config.elements, config.per_element, config.ref_conns, config.rounds);
  }
  collector_test::remove_base_dir();
  return 0;
}
