#include "playhead.h"

#include <algorithm>

namespace mediaanalytics {

double estimate_playhead(const PlayheadInputs &in, int64_t now_us) {
  double base;
  int64_t since_us;
  if (in.sample) {
    base = in.sample->position_s;
    since_us = in.sample->at_us;
  } else if (in.data) {
    base = in.data->start_s;
    since_us = in.data->at_us;
  } else {
    return 0.0;
  }
  double position = base;
  if (in.advancing && now_us > since_us)
    position += in.rate * static_cast<double>(now_us - since_us) / 1e6;
  if (in.data) {
    // What has not passed the element cannot be presented yet.
    if (in.rate >= 0)
      position = std::min(position, std::max(in.data->end_s, base));
    else
      position = std::max(position, std::min(in.data->start_s, base));
  }
  return std::max(position, 0.0);
}

}  // namespace mediaanalytics
