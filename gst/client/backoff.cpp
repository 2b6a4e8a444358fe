#include "backoff.h"

#include <glib.h>

#include <algorithm>

namespace mediaanalytics {

Backoff::Backoff(int64_t initial_ms, int64_t max_ms, Jitter jitter)
    : initial_ms_(std::max<int64_t>(initial_ms, 1)),
      max_ms_(std::max(max_ms, std::max<int64_t>(initial_ms, 1))),
      jitter_(std::move(jitter)) {}

int64_t Backoff::nominal_ms(unsigned attempt) const {
  int64_t d = initial_ms_;
  for (unsigned i = 1; i < attempt && d < max_ms_; i++)
    d *= 2;
  return std::min(d, max_ms_);
}

int64_t Backoff::delay_ms(unsigned attempt) const {
  int64_t d = nominal_ms(attempt);
  double j = jitter_ ? jitter_() : g_random_double();
  j = std::clamp(j, 0.0, 1.0);
  int64_t half = d / 2;
  return std::max<int64_t>(
      1, half + static_cast<int64_t>(static_cast<double>(d - half) * j));
}

}  // namespace mediaanalytics
