#include "bench-common.h"

#include <glib/gstdio.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace bench {

namespace {

const char *g_name = "bench";

void set_default_env(const char *name, const char *value) {
  if (!g_getenv(name))
    g_setenv(name, value, TRUE);
}

void print_ratio_row(const char *id, const char *what, double value, const char *ref_name,
                     double reference, double ratio, double goal, bool lower_is_better) {
  const bool met = lower_is_better ? ratio <= goal : ratio >= goal;
  g_print("%-3s %-52s %12.3f   %s %12.3f   ratio %6.3f   goal %s %.2f   %s\n", id, what,
          value, ref_name, reference, ratio, lower_is_better ? "<=" : ">=", goal,
          met ? "met" : "MISSED");
}

}  // namespace

Args init(int *argc, char ***argv, const char *name, const char *usage) {
  // The plugin and the collector of this build, unless told otherwise; a
  // registry of the benchmarks' own, so that the system one is not rewritten.
  const char *plugin_path = g_getenv("GST_PLUGIN_PATH_1_0");
  std::string path = MEDIAANALYTICS_PLUGIN_DIR;
  if (plugin_path && *plugin_path)
    path += std::string(G_SEARCHPATH_SEPARATOR_S) + plugin_path;
  g_setenv("GST_PLUGIN_PATH_1_0", path.c_str(), TRUE);
  set_default_env("GST_REGISTRY_1_0", BENCH_REGISTRY);
  set_default_env("MEDIAANALYTICS_COLLECTOR", MEDIAANALYTICS_COLLECTOR_PATH);
  set_default_env("GSETTINGS_BACKEND", "memory");

  g_name = name;
  Args args;
  for (int i = 1; i < *argc; i++) {
    const char *a = (*argv)[i];
    if (!strcmp(a, "--smoke")) {
      args.smoke = true;
    } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      g_print("Usage: %s [--smoke] %s\n", name, usage);
      exit(0);
    } else {
      args.rest.emplace_back(a);
    }
  }
  gst_init(argc, argv);
  if (!gst_registry_find_plugin(gst_registry_get(), "mediaanalytics")) {
    g_printerr("%s: the mediaanalytics plugin was not found\n", name);
    exit(2);
  }
  g_print("%s: %u cores, %s%s\n", name, cores(), gst_version_string(),
          args.smoke ? ", smoke run (figures not meaningful)" : "");
  return args;
}

unsigned cores() {
  return g_get_num_processors();
}

int64_t now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

double quantile(std::vector<double> values, double q) {
  if (values.empty())
    return NAN;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(q * static_cast<double>(values.size()));
  const size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return values[std::min(index, values.size() - 1)];
}

void figure(const char *id, const char *what, double value, const char *reference_name,
            double reference, double goal, bool lower_is_better) {
  const double ratio = reference != 0 ? value / reference : NAN;
  print_ratio_row(id, what, value, reference_name, reference, ratio, goal,
                  lower_is_better);
}

void absolute(const char *id, const char *what, double value, double goal,
              bool lower_is_better) {
  const bool met = lower_is_better ? value <= goal : value >= goal;
  g_print("%-3s %-52s %12.3f   goal %s %g   %s\n", id, what, value,
          lower_is_better ? "<=" : ">=", goal, met ? "met" : "MISSED");
}

void note(const char *id, const char *what, double value) {
  g_print("%-3s %-52s %12.3f\n", id, what, value);
}

std::string element_properties(const std::string &url, const char *media_id) {
  return "endpoint=" + url +
         " tracking-server=bench.sc.omtrdc.net report-suite=bench-rsid"
         " org-id=BENCH@AdobeOrg channel=bench media-name=bench media-id=" +
         media_id;
}

void die(const char *what) {
  g_printerr("%s: %s\n", g_name, what);
  exit(1);
}

double load_average() {
  g_autofree char *text = nullptr;
  if (!g_file_get_contents("/proc/loadavg", &text, nullptr, nullptr))
    return NAN;
  return g_ascii_strtod(text, nullptr);
}

unsigned thread_count() {
  g_autoptr(GDir) dir = g_dir_open("/proc/self/task", 0, nullptr);
  unsigned n = 0;
  while (dir && g_dir_read_name(dir))
    n++;
  return n;
}

uint64_t rss_kib() {
  g_autofree char *status = nullptr;
  if (!g_file_get_contents("/proc/self/status", &status, nullptr, nullptr))
    return 0;
  const char *line = strstr(status, "VmRSS:");
  return line ? g_ascii_strtoull(line + 6, nullptr, 10) : 0;
}

int64_t cpu_ns() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  auto ns = [](const struct timeval &tv) {
    return static_cast<int64_t>(tv.tv_sec) * 1000000000 + tv.tv_usec * 1000;
  };
  return ns(usage.ru_utime) + ns(usage.ru_stime);
}

}  // namespace bench
