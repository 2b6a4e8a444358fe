// The process-wide sending machinery: one worker GThread running its own
// GMainContext with ONE SoupSession, created and destroyed in that thread and
// shared by every SessionClient of the process.
//
// Lifetime: everything the worker thread touches (context, loop, session,
// lock) lives in a SenderWorker, a heap block shared (std::shared_ptr) by the
// thread itself, the Sender handle and the clients. The thread drops its share
// only when it has wound down, so the block outlives the thread whatever
// happens to the Sender: a Sender whose bounded join times out, or that is
// destroyed on the worker itself, only detaches the thread.
//
// Threading: acquire() and the destructor may run on any thread (on the
// worker, the thread is detached, not joined). invoke() may be called from
// any thread. post(), add_timer() and everything they call back run on the
// worker only.
#pragma once

#include <gio/gio.h>
#include <glib.h>
#include <libsoup/soup.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "timer-queue.h"
#include "tls-trust.h"

namespace mediaanalytics {

// The outcome of one HTTP request.
struct SenderResult {
  unsigned status = 0;  // 0: no HTTP answer (connection failure, timeout, cancel)
  bool timed_out = false;
  bool cancelled = false;  // cancelled by its owner, not by the timeout
  std::string error;       // the GError message when status is 0
  std::string location;    // the Location header, when present
  // The response body, at most SenderWorker::kMaxResponseBody bytes of it.
  std::string body;
  // Why the server's certificate was refused (describe_certificate_problems),
  // "" when it was not; status is 0 then.
  std::string certificate_problem;
};

// The worker thread's shared state (see above). Held by std::shared_ptr only.
class SenderWorker {
 public:
  using Result = SenderResult;
  using Done = std::function<void(const Result &)>;

  // The most of a response body kept (and read): the endpoint answers with
  // no body or a short error, which only feeds warnings. A server that sends
  // more (a misbehaving proxy, something impersonating the endpoint) must not
  // make the process read or hold it; the connection is dropped instead.
  static constexpr std::size_t kMaxResponseBody = 64 * 1024;

  SenderWorker();
  ~SenderWorker();
  SenderWorker(const SenderWorker &) = delete;
  SenderWorker &operator=(const SenderWorker &) = delete;

  // Runs `fn` on the worker thread, from an idle source (never inline, even
  // when called on the worker). Thread-safe. Once the worker has stopped, `fn`
  // is destroyed without running.
  void invoke(std::function<void()> fn);

  // Worker only. POSTs `body` (application/json) to `url` as an idempotent
  // request, with its own timeout; `cancellable` (may be null) cancels it.
  // Redirects are not followed: a 3xx is the answer. An https server's
  // certificate must satisfy the system's trust or, when given, `trust`.
  // Once the answer's headers came, its status counts even if its body is
  // cut short (timeout, cancel, lost connection). `done` runs on the worker
  // exactly once while the worker runs; when the worker stops, requests in
  // flight complete (with status 0 unless their headers came) as it drains.
  void post(const std::string &url, std::string body, int64_t timeout_ms,
            GCancellable *cancellable, std::shared_ptr<const TlsTrust> trust, Done done);

  // Worker only: runs `fn` once on the worker, `delay_ms` from now. All
  // timers of the process share one source (timer-queue.h). The id cancels
  // it; timers not run when the worker stops are destroyed without running.
  using TimerId = TimerQueue::Id;
  TimerId add_timer(int64_t delay_ms, std::function<void()> fn);
  // Worker only: forgets a timer not yet run (0, or one that ran: a no-op).
  void cancel_timer(TimerId id);

  // Whether the calling thread is the worker.
  bool on_worker() const { return g_thread_self() == thread_; }

  GMainContext *context() const { return context_; }

 private:
  friend class Sender;
  // Owns one std::shared_ptr<SenderWorker> (heap-allocated), freed on exit.
  static gpointer thread_main(gpointer data);

  // Worker only: the session whose connections `trust` may use (see
  // post()); null once the worker is winding down.
  SoupSession *session_for(const std::shared_ptr<const TlsTrust> &trust);
  SoupSession *new_session() const;
  void abort_sessions();

  GMainContext *const context_;
  GMainLoop *const loop_;
  GThread *thread_ = nullptr;          // identity only; the Sender owns the ref
  GProxyResolver *proxies_ = nullptr;  // worker only, while the loop runs
  SoupSession *session_ = nullptr;     // worker only: the system's trust
  // Worker only: one session per private trust in use. A pooled connection
  // is reused without a new handshake, so a connection that only a private
  // CA admitted must never carry another client's request: clients with
  // the same trust share its connections, others never see them. An entry
  // goes once no client (and no request) holds its trust any more.
  struct TrustSession {
    std::weak_ptr<const TlsTrust> trust;
    SoupSession *session;
  };
  std::vector<TrustSession> trust_sessions_;
  std::unique_ptr<TimerQueue> timers_;  // worker only, while the loop runs

  GMutex lock_;
  GCond cond_;
  bool ready_ = false;   // under lock_
  bool exited_ = false;  // under lock_
};

class Sender {
 public:
  using Result = SenderResult;
  using Done = SenderWorker::Done;

  // The process's Sender, started on first use; it stops when the last
  // shared_ptr goes (a bounded join, or a detach, see above).
  static std::shared_ptr<Sender> acquire();

  ~Sender();
  Sender(const Sender &) = delete;
  Sender &operator=(const Sender &) = delete;

  // The shared block, for callers whose work may outlive this handle.
  const std::shared_ptr<SenderWorker> &worker() const { return worker_; }

  void invoke(std::function<void()> fn) { worker_->invoke(std::move(fn)); }
  void post(const std::string &url, std::string body, int64_t timeout_ms,
            GCancellable *cancellable, std::shared_ptr<const TlsTrust> trust, Done done) {
    worker_->post(url, std::move(body), timeout_ms, cancellable, std::move(trust),
                  std::move(done));
  }
  SenderWorker::TimerId add_timer(int64_t delay_ms, std::function<void()> fn) {
    return worker_->add_timer(delay_ms, std::move(fn));
  }
  void cancel_timer(SenderWorker::TimerId id) { worker_->cancel_timer(id); }
  bool on_worker() const { return worker_->on_worker(); }
  GMainContext *context() const { return worker_->context(); }

  // How long the destructor waits for the worker to wind down (tests shorten
  // it). Process-wide.
  static void set_join_bound_ms(int64_t ms);

 private:
  Sender();

  std::shared_ptr<SenderWorker> worker_;
  GThread *thread_ = nullptr;  // our ref: joined, or unreffed (detached)
};

}  // namespace mediaanalytics
