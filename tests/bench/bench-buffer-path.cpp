// P1 of issue 6: what the element adds to the cost of a buffer.
//
// `fakesrc ! X ! fakesink` with X = nothing, identity, mediaanalytics (its
// session open at the local collector), run in interleaved rounds in one
// process; the median time of each variant, minus the pipeline without X, is
// the cost X adds per buffer. Two sources: the empty buffers (no
// timestamps) and timestamped 1-byte buffers, on which the element also
// tracks where the data is.
//
// --callgrind runs each variant under valgrind's callgrind at two buffer
// counts and reports instructions per buffer from the difference, which
// cancels start-up and is repeatable on a noisy machine.
#include "bench-common.h"
#include "collector-process.h"

#include <gio/gio.h>
#include <glib/gstdio.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

struct Variant {
  const char *name;
  const char *element;  // "" for none; otherwise gst_parse_launch text
};

const Variant kVariants[] = {
    {"none", ""},
    {"identity", "identity"},
    {"mediaanalytics", "mediaanalytics"},
};

struct Source {
  const char *name;
  const char *description;
  const char *launch;  // fakesrc text; num-buffers is appended
};

const Source kSources[] = {
    {"empty", "empty buffers, no timestamps (the issue's pipeline)",
     "fakesrc sizetype=empty"},
    {"timed", "1-byte buffers with timestamps and durations in a TIME segment",
     "fakesrc format=time sizetype=fixed sizemax=1 filltype=nothing datarate=1000"},
};

std::string launch_text(const Source &source, const Variant &variant, uint64_t buffers,
                        const std::string &url) {
  std::string text =
      std::string(source.launch) + " num-buffers=" + std::to_string(buffers);
  if (*variant.element) {
    text += std::string(" ! ") + variant.element;
    if (!strcmp(variant.name, "mediaanalytics"))
      text += " " + bench::element_properties(url, "buffer-path");
  }
  return text + " ! fakesink";
}

// Plays the pipeline to its EOS; the wall time from PLAYING to EOS, in ns.
int64_t play_once(const std::string &text) {
  g_autoptr(GError) error = nullptr;
  GstElement *pipeline = gst_parse_launch(text.c_str(), &error);
  if (!pipeline) {
    g_printerr("cannot build \"%s\": %s\n", text.c_str(), error->message);
    exit(2);
  }
  g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
  const int64_t start = bench::now_ns();
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, 120 * GST_SECOND,
      static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  const int64_t elapsed = bench::now_ns() - start;
  if (!msg || GST_MESSAGE_TYPE(msg) != GST_MESSAGE_EOS) {
    g_printerr("\"%s\" did not reach EOS\n", text.c_str());
    exit(2);
  }
  gst_message_unref(msg);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return elapsed;
}

double median(std::vector<double> values) {
  return bench::quantile(std::move(values), 0.5);
}

// The collector's count of requests that opened a session.
size_t sessions_in(const collector_test::Collector &collector) {
  size_t n = 0;
  for (const collector_test::Line &line : collector_test::requests_of(collector.record()))
    n += line.str("endpoint") == "sessions" && line.num("status") == 201;
  return n;
}

void timed_run(uint64_t buffers, int rounds, const std::string &url) {
  g_print("fakesrc num-buffers=%" G_GUINT64_FORMAT
          " ! X ! fakesink, %d interleaved rounds, "
          "medians\n",
          buffers, rounds);
  for (const Source &source : kSources) {
    std::map<std::string, std::vector<double>> ns_per_buffer;
    for (int round = 0; round < rounds; round++) {
      for (const Variant &variant : kVariants) {
        const int64_t ns = play_once(launch_text(source, variant, buffers, url));
        ns_per_buffer[variant.name].push_back(static_cast<double>(ns) /
                                              static_cast<double>(buffers));
      }
    }
    const double none = median(ns_per_buffer["none"]);
    const double identity = median(ns_per_buffer["identity"]) - none;
    const double element = median(ns_per_buffer["mediaanalytics"]) - none;
    g_print("%s: %s; without X %.1f ns/buffer\n", source.name, source.description, none);
    std::string what = std::string("ns/buffer added (") + source.name + ")";
    bench::figure("P1", what.c_str(), element, "identity", identity, 0.8);
  }
}

// Runs one variant under callgrind; the total instructions of the process.
double callgrind_instructions(const Source &source, const Variant &variant,
                              uint64_t buffers, const std::string &url) {
  g_autofree char *self = g_file_read_link("/proc/self/exe", nullptr);
  g_autofree char *dir = g_dir_make_tmp("bench-callgrind-XXXXXX", nullptr);
  g_autofree char *out = g_build_filename(dir, "callgrind.out", nullptr);
  std::string out_arg = std::string("--callgrind-out-file=") + out;
  std::string buffers_arg = std::to_string(buffers);
  const char *argv[] = {"valgrind",  "--tool=callgrind",  out_arg.c_str(), self,
                        "--source",  source.name,         "--variant",     variant.name,
                        "--buffers", buffers_arg.c_str(), "--url",         url.c_str(),
                        nullptr};
  g_autoptr(GError) error = nullptr;
  g_autoptr(GSubprocess) proc =
      g_subprocess_newv(argv,
                        static_cast<GSubprocessFlags>(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                      G_SUBPROCESS_FLAGS_STDERR_SILENCE),
                        &error);
  if (!proc || !g_subprocess_wait_check(proc, nullptr, &error)) {
    g_printerr("valgrind --tool=callgrind failed: %s\n", error ? error->message : "?");
    exit(2);
  }
  g_autofree char *text = nullptr;
  if (!g_file_get_contents(out, &text, nullptr, &error)) {
    g_printerr("no callgrind output: %s\n", error->message);
    exit(2);
  }
  const char *totals = strstr(text, "\ntotals:");
  if (!totals)
    totals = strstr(text, "\nsummary:");
  if (!totals) {
    g_printerr("no totals in the callgrind output\n");
    exit(2);
  }
  const double instructions = g_ascii_strtod(strchr(totals + 1, ':') + 1, nullptr);
  g_unlink(out);
  g_rmdir(dir);
  return instructions;
}

void callgrind_run(uint64_t small, uint64_t large, const std::string &url) {
  g_print("callgrind: instructions per buffer = (Ir at %" G_GUINT64_FORMAT
          " buffers - Ir at %" G_GUINT64_FORMAT " buffers) / %" G_GUINT64_FORMAT
          ", all threads\n",
          large, small, large - small);
  for (const Source &source : kSources) {
    std::map<std::string, double> per_buffer;
    for (const Variant &variant : kVariants) {
      const double a = callgrind_instructions(source, variant, small, url);
      const double b = callgrind_instructions(source, variant, large, url);
      per_buffer[variant.name] = (b - a) / static_cast<double>(large - small);
    }
    const double none = per_buffer["none"];
    g_print("%s: %s; without X %.1f instructions/buffer\n", source.name,
            source.description, none);
    std::string what = std::string("instructions/buffer added (") + source.name + ")";
    bench::figure("P1", what.c_str(), per_buffer["mediaanalytics"] - none, "identity",
                  per_buffer["identity"] - none, 0.8);
  }
}

template <typename T, size_t N>
const T *find_named(const T (&items)[N], const std::string &name) {
  for (const T &item : items)
    if (name == item.name)
      return &item;
  g_printerr("unknown name \"%s\"\n", name.c_str());
  exit(2);
}

}  // namespace

int main(int argc, char **argv) {
  bench::Args args = bench::init(
      &argc, &argv, "bench-buffer-path",
      "[--buffers N] [--rounds N] [--callgrind [--small N]]\n"
      "  --buffers N   buffers per pipeline (default 2000000; callgrind 120000)\n"
      "  --rounds N    interleaved rounds per variant (default 5)\n"
      "  --callgrind   instructions per buffer under valgrind --tool=callgrind,\n"
      "                from runs of --small N (default 20000) and --buffers N");
  uint64_t buffers = 0, small = 20000;
  int rounds = args.smoke ? 1 : 5;
  bool callgrind = false;
  std::string one_source, one_variant, url;
  for (size_t i = 0; i < args.rest.size(); i++) {
    const std::string &a = args.rest[i];
    const bool has_value = i + 1 < args.rest.size();
    if (a == "--callgrind") {
      callgrind = true;
    } else if (a == "--buffers" && has_value) {
      buffers = g_ascii_strtoull(args.rest[++i].c_str(), nullptr, 10);
    } else if (a == "--small" && has_value) {
      small = g_ascii_strtoull(args.rest[++i].c_str(), nullptr, 10);
    } else if (a == "--rounds" && has_value) {
      rounds = atoi(args.rest[++i].c_str());
    } else if (a == "--source" && has_value) {  // internal: one run under callgrind
      one_source = args.rest[++i];
    } else if (a == "--variant" && has_value) {
      one_variant = args.rest[++i];
    } else if (a == "--url" && has_value) {
      url = args.rest[++i];
    } else {
      g_printerr("unknown argument \"%s\" (see --help)\n", a.c_str());
      return 2;
    }
  }
  if (!one_variant.empty()) {
    play_once(launch_text(*find_named(kSources, one_source),
                          *find_named(kVariants, one_variant), buffers, url));
    return 0;
  }
  if (buffers == 0)
    buffers = callgrind ? 120000 : args.smoke ? 100000 : 2000000;
  if (small >= buffers) {
    g_printerr("--small must be below --buffers\n");
    return 2;
  }

  collector_test::make_base_dir();
  int status = 0;
  {
    collector_test::Collector collector;
    if (callgrind)
      callgrind_run(small, buffers, collector.url());
    else
      timed_run(buffers, rounds, collector.url());
    // Every element run opened its session: the cost above is with it active.
    const size_t expected = callgrind
                                ? 2 * G_N_ELEMENTS(kSources)
                                : static_cast<size_t>(rounds) * G_N_ELEMENTS(kSources);
    collector.stop();
    const size_t sessions = sessions_in(collector);
    bench::note("P1", "sessions opened by the element runs",
                static_cast<double>(sessions));
    if (sessions != expected) {
      g_printerr("expected %zu sessions at the collector, found %zu\n", expected,
                 sessions);
      status = 1;
    }
  }
  collector_test::remove_base_dir();
  return status;
}
