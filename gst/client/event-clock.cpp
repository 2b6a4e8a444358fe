// See event-clock.h.
#include "event-clock.h"

#include <glib.h>

namespace mediaanalytics {
namespace {

// The stamp that follows `last` for an event at `now`.
int64_t next_stamp(int64_t last, int64_t now) {
  if (last == std::numeric_limits<int64_t>::max()) {
    // Cannot happen with a real clock; saturate rather than overflow.
    return last;
  }
  if (now > last) {
    return now;
  }
  return last + 1;
}

}  // namespace

int64_t EventClock::now_utc_ms() {
  return g_get_real_time() / 1000;
}

int64_t EventClock::stamp(int64_t now_utc_ms) {
  // kNone is reserved; a reading of it (not a real clock) stamps one later.
  if (now_utc_ms == kNone) {
    now_utc_ms = kNone + 1;
  }
  int64_t last = last_.load(std::memory_order_relaxed);
  int64_t next;
  do {
    next = last == kNone ? now_utc_ms : next_stamp(last, now_utc_ms);
    // On failure `last` is reloaded with what another thread stored, and the
    // stamp is computed again from it. Every successful exchange moves last_
    // forward, so no two callers get the same value. Relaxed ordering suffices:
    // the stamps are the only data, and all updates of one atomic are totally
    // ordered.
  } while (!last_.compare_exchange_weak(last, next, std::memory_order_relaxed));
  return next;
}

void EventClock::reset() {
  last_.store(kNone, std::memory_order_relaxed);
}

}  // namespace mediaanalytics
