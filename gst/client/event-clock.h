// The playerTime.ts of each event (spec §2): UTC milliseconds taken when the
// event happens, strictly increasing by at least 1 ms within a session, because
// the back end sorts by ts and two events must never share one.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>

namespace mediaanalytics {

class EventClock {
 public:
  // The wall clock in UTC milliseconds (g_get_real_time()).
  static int64_t now_utc_ms();

  // The ts of an event that happens at `now_utc_ms`: max(now, last + 1), and it
  // becomes the last one. Equal or backwards wall-clock readings (events that
  // fire at the same instant, an NTP step back) still get distinct, increasing
  // stamps.
  //
  // Lock-free, because the streaming thread stamps events and must not wait
  // on the bus or application thread stamping theirs.
  int64_t stamp(int64_t now_utc_ms);

  // Forgets the last stamp, for a new session: its first event takes the wall
  // clock as it is.
  void reset();

 private:
  // "Nothing stamped yet". stamp() never returns it.
  static constexpr int64_t kNone = std::numeric_limits<int64_t>::min();

  // A lock-free atomic, so that stamp() never takes a lock (a platform
  // without one fails here rather than silently locking).
  static_assert(std::atomic<int64_t>::is_always_lock_free,
                "EventClock needs a lock-free 64-bit atomic");
  std::atomic<int64_t> last_{kNone};
};

}  // namespace mediaanalytics
