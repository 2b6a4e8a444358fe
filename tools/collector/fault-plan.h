// Fault injection: the conditions a client must survive (slow answers, error
// statuses, refused and dropped connections, expired sessions, a 201 without a
// usable Location), chosen by command-line options and decided per request.
#pragma once

#include <glib.h>

#include <cstdint>
#include <memory>
#include <string>

namespace collector {

enum class Endpoint { kSessions, kEvents, kSchemas, kOther };

enum class LocationFault { kNone, kMissing, kMalformed };

enum class ConnectionFault { kNone, kDrop, kRefuse };

struct FaultOptions {
  int64_t delay_sessions_ms = 0;
  int64_t delay_events_ms = 0;

  // Which POSTs the status faults apply to.
  enum class Scope { kAll, kSessions, kEvents } scope = Scope::kAll;
  // Answer `fail_status` to the next `fail_count` POSTs in scope.
  unsigned fail_status = 0;
  int64_t fail_count = 0;
  // Answer `fraction_status` to this fraction of POSTs in scope (after the
  // `fail_count` ones), drawn from a generator seeded with `seed`.
  unsigned fraction_status = 0;
  double fraction = 0;
  uint32_t seed = 1;

  // Once `*_after` requests have arrived, drop every request (close its
  // connection without an answer) or refuse connections (stop listening) for
  // `*_ms` milliseconds, from the next request's arrival on. A negative
  // `*_after` turns the fault off.
  int64_t drop_after = -1;
  int64_t drop_ms = 0;
  int64_t refuse_after = -1;
  int64_t refuse_ms = 0;

  // The next `location_count` sessions (all when negative) get a 201 whose
  // Location header is missing or malformed; no session is opened for them.
  LocationFault location = LocationFault::kNone;
  int64_t location_count = -1;
};

// Option parsers for "CODE:N", "CODE:FRACTION", "AFTER:MS" and
// "missing|malformed[:N]"; each returns FALSE with a message naming the option.
gboolean parse_fail_next(const char *value, FaultOptions &options, GError **error);
gboolean parse_fail_fraction(const char *value, FaultOptions &options, GError **error);
gboolean parse_fail_scope(const char *value, FaultOptions &options, GError **error);
gboolean parse_window(const char *option, const char *value, int64_t &after, int64_t &ms,
                      GError **error);
gboolean parse_location(const char *value, FaultOptions &options, GError **error);

// The per-run state of the faults: counters, the random generator, and the
// drop/refuse windows. Time is passed in (monotonic µs).
class FaultPlan {
 public:
  explicit FaultPlan(const FaultOptions &options);

  // Called once per request as it arrives, before anything else: whether its
  // connection must be dropped or the listener closed. `arrived` counts the
  // requests that arrived before this one.
  ConnectionFault on_request(int64_t arrived, int64_t now_us);
  // When the refuse window ends (monotonic µs); -1 before it opened.
  int64_t refuse_until_us() const { return refuse_until_us_; }

  // The status to answer instead of handling the POST, or 0.
  unsigned injected_status(Endpoint endpoint);
  int64_t delay_ms(Endpoint endpoint) const;
  // Consumes one Location fault, if any remain.
  LocationFault location_fault();

 private:
  bool in_scope(Endpoint endpoint) const;

  FaultOptions options_;
  std::unique_ptr<GRand, decltype(&g_rand_free)> rand_;
  int64_t failed_ = 0;
  int64_t locations_faulted_ = 0;
  int64_t drop_until_us_ = -1;
  int64_t refuse_until_us_ = -1;
};

}  // namespace collector
