#include "fault-plan.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace collector {

namespace {

gboolean fail(GError **error, const char *option, const char *value,
              const char *expected) {
  g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--%s=%s: expected %s",
              option, value, expected);
  return FALSE;
}

// Splits "A:B" at the first colon; `second` is empty when there is none.
void split(const char *value, std::string &first, std::string &second) {
  const char *colon = strchr(value, ':');
  if (!colon) {
    first = value;
    second.clear();
    return;
  }
  first.assign(value, colon - value);
  second = colon + 1;
}

bool parse_int(const std::string &text, int64_t min, int64_t max, int64_t &out) {
  if (text.empty())
    return false;
  char *end = nullptr;
  errno = 0;
  long long v = strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max)
    return false;
  out = v;
  return true;
}

// 1xx is not a final answer: libsoup would send it and then handle the
// request for real.
bool parse_status(const std::string &text, unsigned &status) {
  int64_t v;
  if (!parse_int(text, 200, 599, v))
    return false;
  status = static_cast<unsigned>(v);
  return true;
}

}  // namespace

gboolean parse_fail_next(const char *value, FaultOptions &options, GError **error) {
  std::string code, count;
  split(value, code, count);
  if (!parse_status(code, options.fail_status) ||
      !parse_int(count, 1, G_MAXINT64, options.fail_count))
    return fail(error, "fail-next", value,
                "STATUS:COUNT with STATUS 200-599, e.g. 503:3");
  return TRUE;
}

gboolean parse_fail_fraction(const char *value, FaultOptions &options, GError **error) {
  std::string code, fraction;
  split(value, code, fraction);
  char *end = nullptr;
  double f = g_ascii_strtod(fraction.c_str(), &end);
  if (!parse_status(code, options.fraction_status) || fraction.empty() || *end != '\0' ||
      !(f > 0.0 && f <= 1.0))
    return fail(error, "fail-fraction", value,
                "STATUS:FRACTION with STATUS 200-599 and 0 < FRACTION <= 1");
  options.fraction = f;
  return TRUE;
}

gboolean parse_fail_scope(const char *value, FaultOptions &options, GError **error) {
  if (g_str_equal(value, "all"))
    options.scope = FaultOptions::Scope::kAll;
  else if (g_str_equal(value, "sessions"))
    options.scope = FaultOptions::Scope::kSessions;
  else if (g_str_equal(value, "events"))
    options.scope = FaultOptions::Scope::kEvents;
  else
    return fail(error, "fail-scope", value, "all, sessions or events");
  return TRUE;
}

gboolean parse_window(const char *option, const char *value, int64_t &after, int64_t &ms,
                      GError **error) {
  std::string a, b;
  split(value, a, b);
  constexpr int64_t kDay_ms = 24 * 3600 * 1000;
  if (!parse_int(a, 0, G_MAXINT64, after) || !parse_int(b, 1, kDay_ms, ms))
    return fail(error, option, value,
                "AFTER:MILLISECONDS with 1 <= MILLISECONDS <= 86400000");
  return TRUE;
}

gboolean parse_location(const char *value, FaultOptions &options, GError **error) {
  std::string mode, count;
  split(value, mode, count);
  if (mode == "missing")
    options.location = LocationFault::kMissing;
  else if (mode == "malformed")
    options.location = LocationFault::kMalformed;
  else
    return fail(error, "location", value, "missing or malformed, optionally :COUNT");
  options.location_count = -1;
  if (!count.empty() && !parse_int(count, 1, G_MAXINT64, options.location_count))
    return fail(error, "location", value, "missing or malformed, optionally :COUNT");
  return TRUE;
}

FaultPlan::FaultPlan(const FaultOptions &options)
    : options_(options), rand_(g_rand_new_with_seed(options.seed), g_rand_free) {}

ConnectionFault FaultPlan::on_request(int64_t arrived, int64_t now_us) {
  // A window opens when the first request past its threshold arrives and
  // stays open for its duration; each fault fires once per run.
  if (options_.drop_after >= 0 && drop_until_us_ < 0 && arrived >= options_.drop_after)
    drop_until_us_ = now_us + options_.drop_ms * 1000;
  if (options_.refuse_after >= 0 && refuse_until_us_ < 0 &&
      arrived >= options_.refuse_after) {
    refuse_until_us_ = now_us + options_.refuse_ms * 1000;
    return ConnectionFault::kRefuse;
  }
  if (now_us < drop_until_us_)
    return ConnectionFault::kDrop;
  // Requests on a connection that outlived the refusal start are dropped too:
  // a server that is down answers nothing.
  if (now_us < refuse_until_us_)
    return ConnectionFault::kDrop;
  return ConnectionFault::kNone;
}

bool FaultPlan::in_scope(Endpoint endpoint) const {
  switch (options_.scope) {
    case FaultOptions::Scope::kAll:
      return endpoint == Endpoint::kSessions || endpoint == Endpoint::kEvents;
    case FaultOptions::Scope::kSessions:
      return endpoint == Endpoint::kSessions;
    case FaultOptions::Scope::kEvents:
      return endpoint == Endpoint::kEvents;
  }
  return false;
}

unsigned FaultPlan::injected_status(Endpoint endpoint) {
  if (!in_scope(endpoint))
    return 0;
  if (failed_ < options_.fail_count) {
    failed_++;
    return options_.fail_status;
  }
  if (options_.fraction > 0 && g_rand_double(rand_.get()) < options_.fraction)
    return options_.fraction_status;
  return 0;
}

int64_t FaultPlan::delay_ms(Endpoint endpoint) const {
  switch (endpoint) {
    case Endpoint::kSessions:
      return options_.delay_sessions_ms;
    case Endpoint::kEvents:
      return options_.delay_events_ms;
    case Endpoint::kSchemas:
    case Endpoint::kOther:
      return 0;
  }
  return 0;
}

LocationFault FaultPlan::location_fault() {
  if (options_.location == LocationFault::kNone)
    return LocationFault::kNone;
  if (options_.location_count >= 0 && locations_faulted_ >= options_.location_count)
    return LocationFault::kNone;
  locations_faulted_++;
  return options_.location;
}

}  // namespace collector
