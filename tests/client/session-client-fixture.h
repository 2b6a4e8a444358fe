// What the SessionClient tests share: a record of the client's callbacks,
// the options the tests start from, and the events they submit.
#pragma once

#include <glib.h>

#include <mutex>
#include <string>
#include <vector>

#include "event-clock.h"
#include "event.h"
#include "session-client.h"

namespace client_test {

using mediaanalytics::ClientWarning;
using mediaanalytics::Event;
using mediaanalytics::EventClock;
using mediaanalytics::EventType;
using mediaanalytics::RequestReport;
using mediaanalytics::SessionClientOptions;
using mediaanalytics::WarningKind;

// What the callbacks saw (they run on the worker thread).
struct Seen {
  std::mutex lock;
  std::vector<RequestReport> reports;
  std::vector<ClientWarning> warnings;

  size_t warnings_of(WarningKind kind) {
    std::lock_guard<std::mutex> g(lock);
    size_t n = 0;
    for (const auto &w : warnings)
      n += w.kind == kind;
    return n;
  }

  // The messages of the warnings of `kind`, one a line.
  std::string warning_text(WarningKind kind) {
    std::lock_guard<std::mutex> g(lock);
    std::string all;
    for (const ClientWarning &w : warnings)
      if (w.kind == kind)
        all += w.message + "\n";
    return all;
  }

  size_t reports_of(EventType type) {
    std::lock_guard<std::mutex> g(lock);
    size_t n = 0;
    for (const auto &r : reports)
      n += r.type == type;
    return n;
  }

  // Waits up to `timeout_ms` for a report of `type`.
  bool wait_report(EventType type, int timeout_ms = 5000) {
    for (int waited = 0; reports_of(type) == 0; waited += 10) {
      if (waited >= timeout_ms)
        return false;
      g_usleep(10 * G_TIME_SPAN_MILLISECOND);
    }
    return true;
  }
};

// Short backoff with a fixed jitter, so that retries come quickly and
// repeatably; the callbacks fill `seen` (may be null).
inline SessionClientOptions options_for(const std::string &url, Seen *seen) {
  SessionClientOptions o;
  o.endpoint = url;
  o.backoff_initial_ms = 50;
  o.backoff_max_ms = 400;
  o.jitter = []() { return 0.5; };
  o.request_timeout_ms = 5000;
  o.unreachable_warn_after = 3;
  if (seen) {
    o.on_report = [seen](const RequestReport &r) {
      std::lock_guard<std::mutex> g(seen->lock);
      seen->reports.push_back(r);
    };
    o.on_warning = [seen](const ClientWarning &w) {
      std::lock_guard<std::mutex> g(seen->lock);
      seen->warnings.push_back(w);
    };
  }
  return o;
}

// A sessionStart with every param the schema requires.
inline Event start_event(EventClock &clock, const std::string &id = "content-1") {
  Event e;
  e.type = EventType::kSessionStart;
  e.ts_ms = clock.stamp(EventClock::now_utc_ms());
  e.playhead = 0;
  e.params.set("analytics.trackingServer", "example.sc.omtrdc.net")
      .set("analytics.reportSuite", "example-rsid")
      .set("visitor.marketingCloudOrgId", "0123456789ABCDEF@AdobeOrg")
      .set("media.id", id)
      .set("media.length", 600.0)
      .set("media.contentType", "VOD")
      .set("media.playerName", "test-player")
      .set("media.channel", "test-channel");
  return e;
}

// The playhead tells the events of a test apart.
inline Event event_at(EventClock &clock, EventType type, double playhead) {
  Event e;
  e.type = type;
  e.ts_ms = clock.stamp(EventClock::now_utc_ms());
  e.playhead = playhead;
  return e;
}

}  // namespace client_test
