// P5 (issue 6): many elements in one process.
//
// N playing pipelines `videotestsrc ! video/x-raw,GRAY8,16x16,10 fps ! X !
// fakesink sync=true` (paced by the clock, tiny buffers), X = identity (the
// reference) and X = mediaanalytics reporting to one local collector with
// the default 10 s pings, one set after the other in this process, for each
// N of --counts. Per run, after the same warm-up: the thread count
// (/proc/self/task, the most seen over the window), the memory added since
// the run's own baseline, and the process CPU time over the playing window
// (21 s: every session passes two points of its 10 s ping grid in it). The
// collector's record then shows whether every element's session opened and
// all of its pings arrived. The buses are popped every 200 ms.
//
// Memory: both runs are measured the same way, each against its own
// baseline: malloc_trim(0) and VmRSS before the pipelines are made, then
// the pipelines, the warm-up, malloc_trim(0) and VmRSS again. The
// difference of the two runs' additions, divided by N, is the figure.
// Trimming hands back what earlier runs freed, but an allocator reuses
// freed chunks it keeps, which favours the later run; so before each count
// an unmeasured set of N identity pipelines warms the process (threads,
// arenas, the task pool), and the heap in use (mallinfo2, not sensitive to
// reuse) is printed beside the RSS. Identity runs first unless
// --element-first; --repeat=R measures R pairs, alternating the order.
// The CPU time of the element's sending thread and of the streaming
// threads (/proc/self/task/*/schedstat) shows where the difference goes.

#include "bench-common.h"
#include "collector-process.h"

#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

using collector_test::Collector;
using collector_test::Line;
using collector_test::Lines;

struct Options {
  std::vector<int> counts = {1, 10, 100, 1000};
  double warmup_s = 2;
  double window_s = 21;
  int fps = 10;
  int64_t ping_ms = 0;  // 0: the element's default (10 s)
  bool element_first = false;
  int repeat = 1;
  std::string extra;  // more element properties (--element-props), to experiment
};

const int64_t kDefaultPingMs = 10000;

struct Pipe {
  GstElement *pipeline = nullptr;
  GstBus *bus = nullptr;
  int64_t intent_ns = 0;  // set_state(PLAYING) called
  int64_t stop_ns = 0;    // set_state(READY) called
};

struct Measure {
  unsigned threads = 0;      // the most seen over the window
  unsigned threads_all = 0;  // the most seen since all played (warm-up too)
  int64_t rss_added_kib = 0;
  int64_t heap_added_kib = 0;  // mallinfo2: bytes in use
  int64_t cpu_ns = 0;
  int64_t wall_ns = 0;
  int64_t sender_cpu_ns = 0;     // the element's sending thread
  int64_t streaming_cpu_ns = 0;  // the pipelines' streaming threads
};

struct PingCheck {
  unsigned with_session = 0;  // elements whose sessionStart got a session
  uint64_t pings = 0;
  unsigned min_pings = 0;
  unsigned expected = 0;  // the least any element had to send
  unsigned complete = 0;  // elements with a session and all their pings
};

using bench::die;
using bench::load_average;

void raise_fd_limit() {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// CPU time (ns) of this process's threads whose name starts with `prefix`:
// the time they ran (/proc/self/task/*/schedstat; the tick-based utime and
// stime of threads that run a few µs at a time are far off).
int64_t thread_cpu_ns(const char *prefix) {
  int64_t total = 0;
  g_autoptr(GDir) dir = g_dir_open("/proc/self/task", 0, nullptr);
  while (const char *tid = dir ? g_dir_read_name(dir) : nullptr) {
    g_autofree char *comm_path = g_strdup_printf("/proc/self/task/%s/comm", tid);
    g_autofree char *comm = nullptr;
    if (!g_file_get_contents(comm_path, &comm, nullptr, nullptr) ||
        !g_str_has_prefix(comm, prefix))
      continue;
    g_autofree char *path = g_strdup_printf("/proc/self/task/%s/schedstat", tid);
    g_autofree char *stat = nullptr;
    if (g_file_get_contents(path, &stat, nullptr, nullptr))
      total += g_ascii_strtoll(stat, nullptr, 10);
  }
  return total;
}

// VmRSS and the heap in use, both in KiB, after malloc_trim(0).
void trimmed_memory(int64_t *rss_kib, int64_t *heap_kib) {
  malloc_trim(0);
  const struct mallinfo2 info = mallinfo2();
  *heap_kib = static_cast<int64_t>((info.uordblks + info.hblkhd) / 1024);
  *rss_kib = static_cast<int64_t>(bench::rss_kib());
}

void drain(std::vector<Pipe> &pipes) {
  for (Pipe &p : pipes)
    while (GstMessage *m = gst_bus_pop(p.bus)) {
      if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
        GError *error = nullptr;
        gst_message_parse_error(m, &error, nullptr);
        g_printerr("bench-scale: ERROR from %s: %s\n", GST_MESSAGE_SRC_NAME(m),
                   error->message);
        exit(1);
      }
      gst_message_unref(m);
    }
}

// Waits `seconds`, popping the buses; returns the most threads seen.
unsigned idle(std::vector<Pipe> &pipes, double seconds) {
  unsigned most = bench::thread_count();
  const int64_t end = bench::now_ns() + static_cast<int64_t>(seconds * 1e9);
  int64_t next_count = 0;
  while (true) {
    const int64_t now = bench::now_ns();
    if (now >= end)
      break;
    drain(pipes);
    if (now >= next_count) {
      most = std::max(most, bench::thread_count());
      next_count = now + 200000000LL;
    }
    g_usleep(static_cast<gulong>(std::min<int64_t>(200000, (end - now) / 1000 + 1)));
  }
  drain(pipes);
  return std::max(most, bench::thread_count());
}

std::string launch_text(const Options &o, bool element, const std::string &url,
                        const std::string &media_id) {
  std::string text =
      "videotestsrc is-live=false pattern=black ! "
      "video/x-raw,format=GRAY8,width=16,height=16,framerate=" +
      std::to_string(o.fps) + "/1 ! ";
  if (element) {
    text += "mediaanalytics " + bench::element_properties(url, media_id.c_str());
    if (o.ping_ms > 0)
      text += " ping-interval=" + std::to_string(o.ping_ms * 1000000);
    if (!o.extra.empty())
      text += " " + o.extra;
  } else {
    text += "identity";
  }
  return text + " ! fakesink sync=true";
}

// One run of `n` pipelines; `tag` names the elements' media ids. The
// stopped pipes (their times) go to `stopped` when given.
Measure run(const Options &o, bool element, int n, const std::string &url,
            const std::string &tag, std::vector<Pipe> *stopped, double warmup_s,
            double window_s) {
  Measure m;
  int64_t rss0 = 0, heap0 = 0;
  trimmed_memory(&rss0, &heap0);
  std::vector<Pipe> pipes(n);
  for (int i = 0; i < n; i++) {
    GError *error = nullptr;
    const std::string text = launch_text(o, element, url, tag + std::to_string(i));
    pipes[i].pipeline = gst_parse_launch(text.c_str(), &error);
    if (!pipes[i].pipeline || error)
      die(error ? error->message : "no pipeline");
    pipes[i].bus = gst_element_get_bus(pipes[i].pipeline);
  }
  for (Pipe &p : pipes) {
    p.intent_ns = bench::now_ns();
    if (gst_element_set_state(p.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
      die("a pipeline failed to go to PLAYING");
  }
  for (int i = 0; i < n; i++) {
    if (gst_element_get_state(pipes[i].pipeline, nullptr, nullptr, 30 * GST_SECOND) !=
        GST_STATE_CHANGE_SUCCESS)
      die("a pipeline did not reach PLAYING");
    if (i % 100 == 99)
      drain(pipes);
  }

  m.threads_all = idle(pipes, warmup_s);
  int64_t rss1 = 0, heap1 = 0;
  trimmed_memory(&rss1, &heap1);
  m.rss_added_kib = rss1 - rss0;
  m.heap_added_kib = heap1 - heap0;
  const int64_t sender0 = thread_cpu_ns("mediaanalytics");
  const int64_t streaming0 = thread_cpu_ns("videotestsrc");
  const int64_t cpu0 = bench::cpu_ns(), wall0 = bench::now_ns();
  m.threads = idle(pipes, window_s);
  m.threads_all = std::max(m.threads_all, m.threads);
  m.cpu_ns = bench::cpu_ns() - cpu0;
  m.wall_ns = bench::now_ns() - wall0;
  m.sender_cpu_ns = thread_cpu_ns("mediaanalytics") - sender0;
  m.streaming_cpu_ns = thread_cpu_ns("videotestsrc") - streaming0;

  // All to READY first (each element queues its sessionEnd), then to NULL
  // (each waits for its own queue to be sent): the flushes overlap.
  for (Pipe &p : pipes) {
    p.stop_ns = bench::now_ns();
    gst_element_set_state(p.pipeline, GST_STATE_READY);
  }
  for (Pipe &p : pipes)
    if (gst_element_set_state(p.pipeline, GST_STATE_NULL) == GST_STATE_CHANGE_FAILURE)
      die("a pipeline did not stop");
  for (Pipe &p : pipes) {
    gst_object_unref(p.bus);
    gst_object_unref(p.pipeline);
    p.bus = nullptr;
    p.pipeline = nullptr;
  }
  if (stopped)
    *stopped = std::move(pipes);
  return m;
}

// The sessions and pings of the elements whose media ids start with `tag`.
PingCheck check_pings(const Collector &collector, const std::string &tag,
                      const std::vector<Pipe> &pipes, int64_t ping_ms) {
  const Lines lines = collector.record();
  std::map<std::string, int> element_of;  // session id -> element index
  const size_t n = pipes.size();
  std::vector<unsigned> pings(n, 0);
  std::vector<bool> has_session(n, false);
  for (const Line &l : lines) {
    if (!l.is_request() || l.event_type() != "sessionStart" || l.num("status") != 201)
      continue;
    JsonObject *body = json_object_get_object_member(l.object(), "body");
    JsonObject *params = json_object_get_object_member(body, "params");
    const char *id =
        params ? json_object_get_string_member_with_default(params, "media.id", "") : "";
    if (!g_str_has_prefix(id, tag.c_str()))
      continue;
    const int i = atoi(id + tag.size());
    if (i >= 0 && static_cast<size_t>(i) < n) {
      element_of[l.str("session")] = i;
      has_session[i] = true;
    }
  }
  for (const Line &l : lines) {
    if (!l.is_request() || l.num("status") < 200 || l.num("status") >= 300 ||
        l.event_type() != "ping")
      continue;
    auto it = element_of.find(l.str("session"));
    if (it != element_of.end())
      pings[it->second]++;
  }
  PingCheck c;
  c.min_pings = n ? UINT_MAX : 0;
  c.expected = n ? UINT_MAX : 0;
  for (size_t i = 0; i < n; i++) {
    // The grid runs from the intent to play; a point within 0.5 s of the
    // stop may race it, so it is not required.
    const int64_t life_ms = (pipes[i].stop_ns - pipes[i].intent_ns) / 1000000 - 500;
    const unsigned expected = life_ms > 0 ? static_cast<unsigned>(life_ms / ping_ms) : 0;
    c.with_session += has_session[i];
    c.pings += pings[i];
    c.min_pings = std::min(c.min_pings, pings[i]);
    c.expected = std::min(c.expected, expected);
    c.complete += has_session[i] && pings[i] >= expected;
  }
  return c;
}

double ratio(int64_t a, int64_t b) {
  return b ? static_cast<double>(a) / static_cast<double>(b) : NAN;
}

// What the pairs of one count add up to.
struct Row {
  int n = 0;
  int pairs = 0;
  unsigned threads_identity = 0, threads_element = 0;  // the most of any run
  unsigned threads_all_identity = 0, threads_all_element = 0;
  double rss_per_element_kib = 0;  // mean over the pairs
  double heap_per_element_kib = 0;
  int64_t cpu_identity_ns = 0, cpu_element_ns = 0;  // sums
  int64_t wall_identity_ns = 0;
  int64_t sender_ns = 0, streaming_identity_ns = 0, streaming_element_ns = 0;
  unsigned elements = 0, complete = 0;
  uint64_t pings = 0;
};

bool parse_counts(const char *text, std::vector<int> *out) {
  out->clear();
  g_auto(GStrv) parts = g_strsplit(text, ",", -1);
  for (char **p = parts; *p; p++) {
    const int v = atoi(*p);
    if (v < 1 || v > 100000)
      return false;
    out->push_back(v);
  }
  return !out->empty();
}

}  // namespace

int main(int argc, char **argv) {
  bench::Args args =
      bench::init(&argc, &argv, "bench-scale",
                  "[--counts=1,10,100,1000] [--window-s=S] [--warmup-s=S] [--fps=N] "
                  "[--ping-ms=MS] [--repeat=R] [--element-first] "
                  "[--element-props='NAME=VALUE ...']");
  Options o;
  if (args.smoke) {
    o.counts = {10};
    o.warmup_s = 0.5;
    o.window_s = 1.5;
    o.ping_ms = 1000;  // so that the smoke run checks pings too
  }
  for (const std::string &a : args.rest) {
    const char *v = strchr(a.c_str(), '=');
    v = v ? v + 1 : "";
    if (g_str_has_prefix(a.c_str(), "--counts=")) {
      if (!parse_counts(v, &o.counts))
        die("--counts takes a comma-separated list of counts");
    } else if (g_str_has_prefix(a.c_str(), "--window-s=")) {
      o.window_s = g_ascii_strtod(v, nullptr);
    } else if (g_str_has_prefix(a.c_str(), "--warmup-s=")) {
      o.warmup_s = g_ascii_strtod(v, nullptr);
    } else if (g_str_has_prefix(a.c_str(), "--fps=")) {
      o.fps = atoi(v);
    } else if (g_str_has_prefix(a.c_str(), "--ping-ms=")) {
      o.ping_ms = g_ascii_strtoll(v, nullptr, 10);
    } else if (g_str_has_prefix(a.c_str(), "--repeat=")) {
      o.repeat = atoi(v);
    } else if (g_str_has_prefix(a.c_str(), "--element-props=")) {
      o.extra = v;
    } else if (a == "--element-first") {
      o.element_first = true;
    } else {
      g_printerr("bench-scale: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (o.window_s <= 0 || o.warmup_s < 0 || o.fps < 1 || o.repeat < 1 ||
      (o.ping_ms != 0 && o.ping_ms < 1000))
    die("bad --window-s, --warmup-s, --fps, --repeat or --ping-ms");
  const int64_t ping_ms = o.ping_ms > 0 ? o.ping_ms : kDefaultPingMs;
  raise_fd_limit();

  const double load_before = load_average();
  collector_test::make_base_dir();
  {
    Collector collector;
    g_print(
        "P5  setup: N x (videotestsrc GRAY8 16x16 %d fps ! identity|mediaanalytics%s%s "
        "! fakesink sync=true), pings every %lld ms; %g s warm-up, then a %g s window; "
        "%d pair(s) per N, %s first%s; memory after malloc_trim(0), each run against "
        "its own baseline, after N identity pipelines warmed the process; threads: the "
        "most seen in the window\n",
        o.fps, o.extra.empty() ? "" : " ", o.extra.c_str(),
        static_cast<long long>(ping_ms), o.warmup_s, o.window_s, o.repeat,
        o.element_first ? "mediaanalytics" : "identity",
        o.repeat > 1 ? " (then alternating)" : "");

    // Unmeasured: loads the plugins and libraries of both kinds once.
    run(o, false, 1, collector.url(), "scale-warmup-", nullptr, 0.2, 0.2);
    run(o, true, 1, collector.url(), "scale-warmup-", nullptr, 0.2, 0.2);

    std::vector<Row> rows;
    bool all_complete = true;
    for (size_t k = 0; k < o.counts.size(); k++) {
      Row row;
      row.n = o.counts[k];
      const int n = row.n;
      // Unmeasured: N threads, their malloc arenas and stacks, the task
      // pool; both measured runs start from the same warmed process.
      run(o, false, n, collector.url(), "", nullptr, 0.2, 0.2);
      for (int r = 0; r < o.repeat; r++) {
        const bool element_first = o.element_first != (r % 2 == 1);
        const std::string tag =
            "scale-" + std::to_string(k) + "-" + std::to_string(r) + "-";
        std::vector<Pipe> stopped;
        Measure id, el;
        if (element_first) {
          el = run(o, true, n, collector.url(), tag, &stopped, o.warmup_s, o.window_s);
          id = run(o, false, n, collector.url(), tag, nullptr, o.warmup_s, o.window_s);
        } else {
          id = run(o, false, n, collector.url(), tag, nullptr, o.warmup_s, o.window_s);
          el = run(o, true, n, collector.url(), tag, &stopped, o.warmup_s, o.window_s);
        }
        const PingCheck pc = check_pings(collector, tag, stopped, ping_ms);
        const double rss_pe =
            static_cast<double>(el.rss_added_kib - id.rss_added_kib) / n;
        const double heap_pe =
            static_cast<double>(el.heap_added_kib - id.heap_added_kib) / n;
        g_print(
            "    N=%4d %s: threads %u vs %u (%+d; %+d with the warm-up); RSS "
            "+%lld vs +%lld KiB (%+.1f "
            "KiB/element), heap %+.1f KiB/element; CPU %.3f vs %.3f s (ratio %.3f; "
            "streaming threads %.3f vs %.3f s, sending thread %.3f s); sessions %u/%d, "
            "pings %" G_GUINT64_FORMAT
            " (min %u per element, >= %u expected), all "
            "pings %u/%d\n",
            n, element_first ? "ma,id" : "id,ma", el.threads, id.threads,
            static_cast<int>(el.threads) - static_cast<int>(id.threads),
            static_cast<int>(el.threads_all) - static_cast<int>(id.threads_all),
            static_cast<long long>(el.rss_added_kib),
            static_cast<long long>(id.rss_added_kib), rss_pe, heap_pe, el.cpu_ns / 1e9,
            id.cpu_ns / 1e9, ratio(el.cpu_ns, id.cpu_ns), el.streaming_cpu_ns / 1e9,
            id.streaming_cpu_ns / 1e9, el.sender_cpu_ns / 1e9, pc.with_session, n,
            pc.pings, pc.min_pings, pc.expected, pc.complete, n);
        row.pairs++;
        row.threads_identity = std::max(row.threads_identity, id.threads);
        row.threads_all_identity = std::max(row.threads_all_identity, id.threads_all);
        row.threads_all_element = std::max(row.threads_all_element, el.threads_all);
        row.threads_element = std::max(row.threads_element, el.threads);
        row.rss_per_element_kib += rss_pe / o.repeat;
        row.heap_per_element_kib += heap_pe / o.repeat;
        row.cpu_identity_ns += id.cpu_ns;
        row.cpu_element_ns += el.cpu_ns;
        row.wall_identity_ns += id.wall_ns;
        row.sender_ns += el.sender_cpu_ns;
        row.streaming_identity_ns += id.streaming_cpu_ns;
        row.streaming_element_ns += el.streaming_cpu_ns;
        row.elements += n;
        row.complete += pc.complete;
        row.pings += pc.pings;
        all_complete = all_complete && pc.complete == static_cast<unsigned>(n);
      }
      rows.push_back(row);
    }
    if (collector.stop() != 0)
      die("the collector did not exit cleanly");

    if (o.repeat > 1 || rows.size() > 1) {
      g_print("    scaling (means over the pairs; CPU ratio of the sums):\n");
      for (const Row &r : rows)
        g_print(
            "    N=%4d: extra threads %+d, %+.1f KiB RSS and %+.1f KiB heap per "
            "element, CPU ratio %.3f, sending thread %.1f %% of a core, %.1f us CPU "
            "per element per s\n",
            r.n,
            static_cast<int>(r.threads_element) - static_cast<int>(r.threads_identity),
            r.rss_per_element_kib, r.heap_per_element_kib,
            ratio(r.cpu_element_ns, r.cpu_identity_ns),
            100.0 * r.sender_ns / (r.wall_identity_ns ? r.wall_identity_ns : 1),
            1e6 * (r.cpu_element_ns - r.cpu_identity_ns) / 1e9 / r.n /
                (r.wall_identity_ns / 1e9));
    }

    // The figures, at the largest count.
    const Row &r = *std::max_element(
        rows.begin(), rows.end(), [](const Row &a, const Row &b) { return a.n < b.n; });
    char what[96];
    g_snprintf(what, sizeof what, "extra threads in total, %d elements", r.n);
    bench::absolute("P5", what,
                    static_cast<double>(r.threads_element) - r.threads_identity, 2);
    g_snprintf(what, sizeof what, "extra RSS per element, KiB, %d elements", r.n);
    bench::absolute("P5", what, r.rss_per_element_kib, 64);
    g_snprintf(what, sizeof what, "process CPU s in %g s windows, %d elements",
               o.window_s, r.n);
    bench::figure("P5", what, r.cpu_element_ns / 1e9, "identity", r.cpu_identity_ns / 1e9,
                  1.05);
    g_snprintf(what, sizeof what, "elements with a session and all pings, of %u",
               r.elements);
    bench::absolute("P5", what, r.complete, r.elements, false);
    bench::note("P5", "extra heap in use per element, KiB", r.heap_per_element_kib);
    bench::note("P5", "pings arrived", static_cast<double>(r.pings));
    bench::note("P5", "threads with identity", r.threads_identity);
    bench::note("P5", "extra threads, the warm-up included",
                static_cast<double>(r.threads_all_element) - r.threads_all_identity);
    bench::note("P5", "CPU with identity, % of one core",
                100.0 * r.cpu_identity_ns / r.wall_identity_ns);
    bench::note("P5", "sending thread CPU, % of one core",
                100.0 * r.sender_ns / r.wall_identity_ns);
    bench::note("P5", "streaming threads CPU, element/identity",
                ratio(r.streaming_element_ns, r.streaming_identity_ns));
    if (!all_complete)
      g_print("P5  some elements' sessions or pings did not arrive (see above)\n");
  }
  bench::note("P5", "load average (1 min) before the run", load_before);
  bench::note("P5", "load average (1 min) after the run", load_average());
  collector_test::remove_base_dir();
  return 0;
}
