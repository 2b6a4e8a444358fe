#include "faults.h"

#include "scenario.h"

namespace soak {

namespace {

bool chance(GRand *rand, double p) {
  return g_rand_double(rand) < p;
}

}  // namespace

Faults draw_faults(GRand *rand) {
  Faults f;
  f.args = scenario::collector_args();
  auto add = [&f](const std::string &option, const std::string &value) {
    f.args.push_back("--" + option + "=" + value);
    f.summary += (f.summary.empty() ? "" : " ") + option + "=" + value;
  };
  // Every draw is made whether its fault is used or not, so that one
  // fault's choice does not shift the others'.
  const bool fail = chance(rand, 0.7);
  const int fail_permille = g_rand_int_range(rand, 20, 300);
  const gint32 collector_seed = g_rand_int_range(rand, 0, G_MAXINT32);
  const bool delay_events = chance(rand, 0.4);
  const int delay_events_ms = g_rand_int_range(rand, 5, 300);
  const bool delay_sessions = chance(rand, 0.3);
  const int delay_sessions_ms = g_rand_int_range(rand, 5, 500);
  const bool drop = chance(rand, 0.4);
  const int drop_after = g_rand_int_range(rand, 0, 40);
  const int drop_ms = g_rand_int_range(rand, 100, 1500);
  const bool refuse = chance(rand, 0.3);
  const int refuse_after = g_rand_int_range(rand, 0, 40);
  const int refuse_ms = g_rand_int_range(rand, 100, 1500);

  if (fail) {
    add("fail-fraction", "503:" + std::to_string(fail_permille / 1000.0));
    add("seed", std::to_string(collector_seed));
  }
  if (delay_events)
    add("delay-events", std::to_string(delay_events_ms));
  if (delay_sessions)
    add("delay-sessions", std::to_string(delay_sessions_ms));
  if (drop)
    add("drop", std::to_string(drop_after) + ":" + std::to_string(drop_ms));
  if (refuse)
    add("refuse", std::to_string(refuse_after) + ":" + std::to_string(refuse_ms));
  if (f.summary.empty())
    f.summary = "no faults";
  return f;
}

}  // namespace soak
