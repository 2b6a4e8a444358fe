// What every benchmark of tests/bench shares: the plugin and the collector
// from the build tree, the command line, and the figures printed as a table
// row with the reference measured in the same run beside them.
//
// Figures are ratios against a reference measured in the same process and
// run, so that they hold on a noisy machine; the absolute values are printed
// for context only.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bench {

struct Args {
  bool smoke = false;             // --smoke: about a second of everything (CI)
  std::vector<std::string> rest;  // what the bench parses itself
};

// Sets up the environment (plugin and collector from the build tree unless
// the caller's environment names others), calls gst_init(), prints the
// header line with the machine's core count. Exits on --help.
Args init(int *argc, char ***argv, const char *name, const char *usage);

// The core count printed in the header.
unsigned cores();

// Monotonic and wall clocks, in ns and µs.
int64_t now_ns();

// The value at quantile q (0..1) of `values` (sorted here), nearest rank.
double quantile(std::vector<double> values, double q);

// One row of the results table:
//   P1  added ns/buffer: 41.2 (identity 190.5)  ratio 0.22  goal <= 0.80  met
// `goal` compares `ratio` (<= when lower_is_better, else >=); a goal < 0
// prints no ratio check (an absolute goal is then given in `goal_text`).
void figure(const char *id, const char *what, double value, const char *reference_name,
            double reference, double goal, bool lower_is_better = true);
// A row with an absolute goal, no reference: "P3 p99 ms: 0.8  goal <= 5  met".
void absolute(const char *id, const char *what, double value, double goal,
              bool lower_is_better = true);
// A row with no goal (context: counts, absolute values).
void note(const char *id, const char *what, double value);

// The properties a mediaanalytics element needs to report to `url`, as
// gst_parse_launch() text ("endpoint=... tracking-server=... ...").
std::string element_properties(const std::string &url, const char *media_id = "bench");

// Something did not work (not a missed goal): prints "<bench>: what" and
// exits with status 1.
[[noreturn]] void die(const char *what);

// The machine's 1-minute load average (/proc/loadavg): other processes
// running beside a benchmark make its figures noisy.
double load_average();

// How many threads this process runs now (/proc/self/task).
unsigned thread_count();
// This process's resident memory, in KiB (/proc/self/status VmRSS).
uint64_t rss_kib();
// User + system CPU time this process used so far, in ns.
int64_t cpu_ns();

}  // namespace bench
