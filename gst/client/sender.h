// The process-wide sending machinery: one worker GThread running its own
// GMainContext with ONE SoupSession, created and destroyed in that thread and
// shared by every SessionClient of the process.
//
// Threading: acquire() and the destructor may run on any thread but the
// worker's. invoke() may be called from any thread. post() and everything it
// calls back run on the worker only.
#pragma once

#include <gio/gio.h>
#include <glib.h>
#include <libsoup/soup.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace mediaanalytics {

class Sender {
 public:
  // The outcome of one HTTP request.
  struct Result {
    unsigned status = 0;  // 0: no HTTP answer (connection failure, timeout, cancel)
    bool timed_out = false;
    bool cancelled = false;  // cancelled by its owner, not by the timeout
    std::string error;       // the GError message when status is 0
    std::string location;    // the Location header, when present
    std::string body;        // the response body
  };
  using Done = std::function<void(const Result &)>;

  // The process's Sender, started on first use; it stops when the last
  // shared_ptr goes (a bounded join).
  static std::shared_ptr<Sender> acquire();

  ~Sender();
  Sender(const Sender &) = delete;
  Sender &operator=(const Sender &) = delete;

  // Runs `fn` on the worker thread, from an idle source (never inline, even
  // when called on the worker). Thread-safe.
  void invoke(std::function<void()> fn);

  // Worker only. POSTs `body` (application/json) to `url` as an idempotent
  // request, with its own timeout; `cancellable` (may be null) cancels it.
  // `done` runs on the worker exactly once, unless the Sender is being
  // destroyed, in which case it still runs with status 0 while the worker
  // drains.
  void post(const std::string &url, std::string body, int64_t timeout_ms,
            GCancellable *cancellable, Done done);

  // Worker only: a one-shot timer on the worker context; returns the source
  // (owned by the caller, who must g_source_destroy + g_source_unref it).
  GSource *add_timer(int64_t delay_ms, std::function<void()> fn);

  // Whether the calling thread is the worker.
  bool on_worker() const;

  GMainContext *context() const { return context_; }

 private:
  Sender();
  static gpointer thread_main(gpointer data);

  GMainContext *context_ = nullptr;
  GMainLoop *loop_ = nullptr;
  GThread *thread_ = nullptr;
  SoupSession *session_ = nullptr;  // worker only

  GMutex lock_;
  GCond cond_;
  bool ready_ = false;
  bool exited_ = false;
};

}  // namespace mediaanalytics
