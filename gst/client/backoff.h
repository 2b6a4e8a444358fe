// Bounded exponential backoff with jitter, for the sender's retries.
#pragma once

#include <cstdint>
#include <functional>

namespace mediaanalytics {

class Backoff {
 public:
  // A source of jitter in [0, 1). Tests inject a deterministic one.
  using Jitter = std::function<double()>;

  // `initial_ms` for the first retry, doubling up to `max_ms`. The delay of a
  // retry is drawn in [d/2, d) for its nominal delay d ("equal jitter"), so
  // that many clients failing together do not retry together.
  Backoff(int64_t initial_ms, int64_t max_ms, Jitter jitter = nullptr);

  // The delay before retry number `attempt` (1 for the first retry).
  int64_t delay_ms(unsigned attempt) const;

  // The nominal (jitter-free) delay of retry `attempt`.
  int64_t nominal_ms(unsigned attempt) const;

 private:
  int64_t initial_ms_;
  int64_t max_ms_;
  Jitter jitter_;
};

}  // namespace mediaanalytics
