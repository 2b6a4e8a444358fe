// The sending side of one element: its viewing sessions (spec §3, §4, §6) on
// the process-wide Sender.
//
// Producers (streaming thread, bus thread, application thread) call submit(),
// which only pushes the event on a GAsyncQueue and wakes the worker: no JSON,
// no I/O, no lock the worker holds while a request is in flight. The worker
// sends one request at a time per client, so the wire order is the
// submission order.
#pragma once

#include <glib.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "backoff.h"
#include "event.h"
#include "tls-trust.h"

namespace mediaanalytics {

class Sender;

// One completed request (2xx, or a final failure such as a 400), for the
// element to turn into a bus message.
struct RequestReport {
  EventType type = EventType::kPing;
  double playhead = 0.0;
  int64_t ts_ms = 0;
  std::string session_id;  // the session it went to ("" for a failed sessionStart)
  unsigned http_status = 0;
  unsigned attempts = 0;  // 1 when it succeeded at once
  // Made by the client to reopen a session: its sessionStart, or the play,
  // pauseStart or bufferStart re-sent on it (no submitted event).
  bool resume = false;
  std::string body;  // the server's answer (the reason of a 400)
};

enum class WarningKind {
  kUnreachable,      // N attempts in a row failed (5xx, timeout, connection)
  kBadLocation,      // a 201 without a usable Location
  kRejected,         // a 4xx: the event was dropped
  kQueueOverflow,    // drops for max_queue, in the client or at submit (once per burst)
  kNoSession,        // events dropped because no session could be opened
  kFlushIncomplete,  // finish() reached its deadline, or events came after it (once)
  kBadCertificate,   // the https endpoint's certificate was refused (once until a 2xx)
};

struct ClientWarning {
  WarningKind kind;
  std::string message;
};

// Why an event was dropped.
enum class DropReason { kOverflow, kRejected, kNoSession, kFlush, kCount };

struct SessionClientOptions {
  std::string endpoint;  // {uri} of spec §1
  // A private certificate authority an https endpoint's certificate may
  // chain to (the element's tls-ca-file), besides the system's trust; null:
  // the system's trust only. Loaded once, shared by all the client's requests.
  std::shared_ptr<const TlsTrust> tls_trust;
  std::size_t max_queue = 1000;
  // A request abandoned at its timeout is retried: one a slow server was
  // still handling then arrives twice. Keep it well above its answer time.
  int64_t request_timeout_ms = 30000;
  int64_t backoff_initial_ms = 200;
  int64_t backoff_max_ms = 10000;
  Backoff::Jitter jitter;  // null: g_random_double()
  unsigned unreachable_warn_after = 3;
  // How many times one event may make the client open a new session (a 404 or
  // 410 to it: the session is gone) before it is dropped as rejected. The
  // second and later ones wait for the backoff.
  unsigned max_resumes = 3;
  // Both run on the worker thread, never with a client lock held. They must
  // not block. They may call finish() or destroy the client (see finish()).
  std::function<void(const RequestReport &)> on_report;
  std::function<void(const ClientWarning &)> on_warning;
  // The ping grid (start_pings()): runs on the worker thread at each due
  // time, never with a client lock held. It must not block; the caller makes
  // and submits the ping itself (so that it is stamped in order with its
  // other events). It may call submit(), stop_pings(), finish() or destroy
  // the client.
  std::function<void()> on_ping_due;
  // The wakeup of set_wakeup(): the same rules as on_ping_due.
  std::function<void()> on_wakeup;
};

struct SessionClientStats {
  uint64_t generated = 0;  // submitted
  uint64_t sent = 0;       // answered 2xx
  uint64_t queued = 0;     // waiting or in flight now
  uint64_t dropped = 0;    // all reasons
  uint64_t dropped_by[static_cast<int>(DropReason::kCount)] = {};
  uint64_t retried = 0;           // retries (not first attempts)
  uint64_t sessions_started = 0;  // 201s with a good Location, resumes included
  unsigned last_http_status = 0;  // 0: none yet, or no HTTP answer
};

class SessionClient {
 public:
  explicit SessionClient(SessionClientOptions options);
  // Does finish(0) if finish() was never called: cancels, drops, never hangs.
  // No callback runs once it has returned (one already running may finish).
  // May run on the worker thread (e.g. in a callback): see finish().
  ~SessionClient();
  SessionClient(const SessionClient &) = delete;
  SessionClient &operator=(const SessionClient &) = delete;

  // Thread-safe, never blocks. The first event must be a sessionStart; a new
  // sessionStart later opens a new session (the next viewing). When the
  // worker falls behind by more than max_queue + kIntakeMargin events, pings
  // are dropped here (DropReason::kOverflow); other events always go in.
  void submit(Event event);

  // The margin of the producer-side bound (see submit()).
  static constexpr std::size_t kIntakeMargin = 64;

  // Waits until everything submitted was sent (or dropped) and nothing is in
  // flight, for at most `deadline_ms`; then cancels the request in flight and
  // drops the rest (DropReason::kFlush). True if all was delivered. Later
  // submits are dropped (and reported once, WarningKind::kFlushIncomplete).
  // On the worker thread (in a callback of this or any client, or in the
  // destructor run there) it cannot wait for the worker: it closes and stops
  // the client at once, dropping whatever was not sent yet (kFlush, reported
  // once), and returns true only if nothing was left.
  bool finish(int64_t deadline_ms);

  SessionClientStats stats() const;

  // The ping grid. Thread-safe, never block: each hands over to the worker
  // (in call order). start_pings() (re)starts the grid anchored at
  // `anchor_monotonic_ms` (g_get_monotonic_time() / 1000): on_ping_due runs at
  // anchor + k * interval_ms, k = 1, 2, ... Each due time is computed from the
  // anchor, never from the previous tick, so the grid does not drift; ticks
  // the worker missed (it was busy, a callback was slow) are skipped, not
  // run in a burst. interval_ms must be > 0 (any value; the element keeps its
  // own minimum). set_ping_interval() changes the interval of a running
  // grid from its next tick on: that tick is the new anchor. stop_pings()
  // stops it (no tick after the worker processed it); finish() stops it too.
  // `first_tick` > 1: the caller made the ticks before it itself (a grid
  // anchored in the past); that tick runs even if it is late already.
  void start_pings(int64_t anchor_monotonic_ms, int64_t interval_ms,
                   int64_t first_tick = 1);
  void set_ping_interval(int64_t interval_ms);
  void stop_pings();

  // A one-shot wakeup: on_wakeup runs on the worker at `due_monotonic_ms`
  // (g_get_monotonic_time() / 1000; at once if past). Each call replaces the
  // wakeup set before; a negative time cancels it. Thread-safe, never blocks
  // (handed over like start_pings()); finish() cancels it.
  void set_wakeup(int64_t due_monotonic_ms);

  struct State;  // shared with the worker's callbacks

 private:
  std::shared_ptr<Sender> sender_;
  std::shared_ptr<State> state_;
};

const char *drop_reason_name(DropReason reason);

}  // namespace mediaanalytics
