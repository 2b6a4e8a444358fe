// The collector's faults for one round of the soak, drawn from the soak's
// generator so that a seed replays them: 503s to a fraction of the POSTs
// (with the collector's own draws seeded from the same generator), answers
// held back, a window of dropped connections and one of refused
// connections (see docs/collector.md, "Options").
#pragma once

#include <glib.h>

#include <string>
#include <vector>

namespace soak {

struct Faults {
  std::vector<std::string> args;  // for the collector, with collector_args()
  std::string summary;            // "503:0.12 delay-events=80 drop=14:600"
};

Faults draw_faults(GRand *rand);

}  // namespace soak
