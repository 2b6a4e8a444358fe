#include "session-client.h"

#include <deque>
#include <optional>
#include <utility>

#include "event-clock.h"
#include "location.h"
#include "sender.h"

namespace mediaanalytics {

namespace {

constexpr int kDropReasons = static_cast<int>(DropReason::kCount);

// How long finish() and the destructor wait for the worker to acknowledge the
// shutdown of a client, beyond the deadline. The worker never blocks, so this
// is only reached if a callback of the application blocks.
constexpr gint64 kAckBoundUs = 2 * G_TIME_SPAN_SECOND;

bool is_lifecycle(EventType type) {
  return type == EventType::kSessionStart || type == EventType::kSessionComplete ||
         type == EventType::kSessionEnd;
}

// Worth retrying unchanged: no answer, a server error, or "try later".
bool is_transient(unsigned status) {
  return status == 0 || status >= 500 || status == 408 || status == 429;
}

void free_event(gpointer data) {
  delete static_cast<Event *>(data);
}

}  // namespace

const char *drop_reason_name(DropReason reason) {
  switch (reason) {
    case DropReason::kOverflow:
      return "queue-overflow";
    case DropReason::kRejected:
      return "rejected";
    case DropReason::kNoSession:
      return "no-session";
    case DropReason::kFlush:
      return "flush";
    case DropReason::kCount:
      break;
  }
  return "unknown";
}

struct SessionClient::State : std::enable_shared_from_this<SessionClient::State> {
  State(SessionClientOptions o, Sender *s)
      : opt(std::move(o)),
        sender(s),
        backoff(opt.backoff_initial_ms, opt.backoff_max_ms, opt.jitter),
        intake(g_async_queue_new_full(free_event)),
        cancel(g_cancellable_new()) {
    g_mutex_init(&lock);
    g_cond_init(&cond);
  }
  ~State() {
    if (retry) {
      g_source_destroy(retry);
      g_source_unref(retry);
    }
    g_async_queue_unref(intake);
    g_object_unref(cancel);
    g_mutex_clear(&lock);
    g_cond_clear(&cond);
  }

  // --- Any thread --------------------------------------------------------
  const SessionClientOptions opt;
  Sender *const sender;  // outlives every worker callback (see ~Sender)
  const Backoff backoff;
  GAsyncQueue *const intake;  // Event*, from the producers
  GCancellable *const cancel;
  std::atomic<bool> wake_pending{false};
  std::atomic<bool> closed{false};  // finish() was called: no more submits

  std::atomic<uint64_t> generated{0}, sent{0}, queued{0}, dropped{0}, retried{0},
      sessions_started{0};
  std::atomic<uint64_t> dropped_by[kDropReasons] = {};
  std::atomic<unsigned> last_status{0};

  // finish() waits on these; the worker never holds `lock` while calling out.
  GMutex lock;
  GCond cond;
  bool shut_ack = false;  // under lock

  // --- Worker only -------------------------------------------------------
  struct Item {
    Event event;
    unsigned attempts = 0;
    bool is_start = false;
    bool resume = false;  // made by the client to reopen a session
  };
  std::deque<Event> pending;
  std::optional<Item> current;  // in flight, or waiting for its retry
  bool in_flight = false;
  GSource *retry = nullptr;
  std::optional<Event> start_template;  // the last submitted sessionStart
  bool have_session = false;
  std::string sid;
  int64_t max_ts = 0;
  unsigned failures_in_row = 0;
  bool unreachable_warned = false;
  bool overflow_burst = false;
  bool no_session_burst = false;
  bool shut = false;

  void wake() {
    if (!wake_pending.exchange(true)) {
      std::shared_ptr<State> self = shared_from_this();
      sender->invoke([self]() { self->pump(); });
    }
  }

  void warn(WarningKind kind, std::string message) {
    // The callback is the channel (the element makes it a GST_WARNING and a
    // rate-limited message); this log is for programs without one.
    g_log("mediaanalytics", G_LOG_LEVEL_INFO, "%s", message.c_str());
    if (opt.on_warning)
      opt.on_warning(ClientWarning{kind, std::move(message)});
  }

  void report(const Item &item, unsigned status, const std::string &body) {
    if (!opt.on_report)
      return;
    RequestReport r;
    r.type = item.event.type;
    r.playhead = item.event.playhead;
    r.ts_ms = item.event.ts_ms;
    r.session_id = have_session ? sid : std::string();
    r.http_status = status;
    r.attempts = item.attempts;
    r.resume = item.resume;
    r.body = body;
    opt.on_report(r);
  }

  // One submitted event has left the client (sent or dropped).
  void done_one() {
    if (queued.fetch_sub(1) == 1) {
      g_mutex_lock(&lock);
      g_cond_broadcast(&cond);
      g_mutex_unlock(&lock);
    }
  }

  void drop(DropReason reason) {
    dropped++;
    dropped_by[static_cast<int>(reason)]++;
    done_one();
  }

  void enqueue(Event event) {
    pending.push_back(std::move(event));
    if (pending.size() <= opt.max_queue)
      return;
    // Over the bound: the oldest ping, else the oldest ordinary event, else
    // the oldest lifecycle event other than a sessionStart, else the newest.
    auto victim = pending.end();
    for (auto it = pending.begin(); it != pending.end() && victim == pending.end(); ++it)
      if (it->type == EventType::kPing)
        victim = it;
    for (auto it = pending.begin(); it != pending.end() && victim == pending.end(); ++it)
      if (!is_lifecycle(it->type))
        victim = it;
    for (auto it = pending.begin(); it != pending.end() && victim == pending.end(); ++it)
      if (it->type != EventType::kSessionStart)
        victim = it;
    if (victim == pending.end())
      victim = pending.end() - 1;
    std::string name = event_type_name(victim->type);
    pending.erase(victim);
    drop(DropReason::kOverflow);
    if (!overflow_burst) {
      overflow_burst = true;
      warn(WarningKind::kQueueOverflow,
           "event queue full (max " + std::to_string(opt.max_queue) + "): dropped " +
               name + (" (further drops of this burst are only counted)"));
    }
  }

  void drain_intake() {
    while (auto *e = static_cast<Event *>(g_async_queue_try_pop(intake))) {
      if (shut)
        drop(DropReason::kFlush);
      else
        enqueue(std::move(*e));
      delete e;
    }
  }

  void pump() {
    wake_pending.store(false);
    drain_intake();
    if (shut || current)
      return;
    while (!pending.empty()) {
      Event e = std::move(pending.front());
      pending.pop_front();
      if (e.type == EventType::kSessionStart) {
        start_template = e;
        have_session = false;
        sid.clear();
        current = Item{std::move(e), 0, true, false};
        break;
      }
      if (!have_session) {
        drop(DropReason::kNoSession);
        if (!no_session_burst) {
          no_session_burst = true;
          warn(WarningKind::kNoSession, std::string("no session is open: dropped ") +
                                            event_type_name(e.type) +
                                            " (a sessionStart must come first)");
        }
        continue;
      }
      current = Item{std::move(e), 0, false, false};
      break;
    }
    if (current)
      send_current();
  }

  void send_current() {
    Item &item = *current;
    item.attempts++;
    if (item.attempts > 1)
      retried++;
    in_flight = true;
    if (item.event.ts_ms > max_ts)
      max_ts = item.event.ts_ms;
    std::string url =
        item.is_start ? sessions_url(opt.endpoint) : events_url(opt.endpoint, sid);
    std::shared_ptr<State> self = shared_from_this();
    sender->post(url, event_to_body(item.event), opt.request_timeout_ms, cancel,
                 [self](const Sender::Result &r) { self->on_done(r); });
  }

  void schedule_retry(bool unreachable, const std::string &why) {
    if (unreachable) {
      failures_in_row++;
      if (failures_in_row >= opt.unreachable_warn_after && !unreachable_warned) {
        unreachable_warned = true;
        warn(WarningKind::kUnreachable, "the endpoint " + opt.endpoint + " failed " +
                                            std::to_string(failures_in_row) +
                                            " attempts in a row (last: " + why +
                                            "); retrying");
      }
    }
    int64_t delay = backoff.delay_ms(current->attempts);
    std::shared_ptr<State> self = shared_from_this();
    retry = sender->add_timer(delay, [self]() {
      g_source_unref(self->retry);
      self->retry = nullptr;
      if (!self->shut && self->current)
        self->send_current();
    });
  }

  void succeeded() {
    failures_in_row = 0;
    unreachable_warned = false;
    if (pending.size() < opt.max_queue)
      overflow_burst = false;
  }

  Event resume_start(const Event &failed) {
    Event start = *start_template;
    start.params.set("media.resume", true);
    int64_t now = EventClock::now_utc_ms();
    start.ts_ms = now > max_ts ? now : max_ts + 1;
    start.playhead = failed.playhead;
    return start;
  }

  void on_done(const Sender::Result &r) {
    in_flight = false;
    if (shut) {
      current.reset();
      return;
    }
    last_status.store(r.status);
    Item &item = *current;
    if (is_transient(r.status)) {
      std::string why = r.status ? "HTTP " + std::to_string(r.status) : r.error;
      schedule_retry(true, why);
      return;
    }
    if (item.is_start) {
      if (r.status >= 200 && r.status < 300) {
        std::optional<std::string> id =
            session_id_from_location(r.location.empty() ? nullptr : r.location.c_str());
        if (!id) {
          warn(WarningKind::kBadLocation,
               "a " + std::to_string(r.status) +
                   " to sessionStart had no usable Location (\"" + r.location +
                   "\"); retrying");
          schedule_retry(false, "bad Location");
          return;
        }
        sid = *id;
        have_session = true;
        no_session_burst = false;
        sessions_started++;
        succeeded();
        report(item, r.status, r.body);
        if (!item.resume) {
          sent++;
          done_one();
        }
      } else {
        have_session = false;
        report(item, r.status, r.body);
        warn(WarningKind::kRejected, "sessionStart rejected with HTTP " +
                                         std::to_string(r.status) + ": " + r.body);
        if (!item.resume)
          drop(DropReason::kRejected);
      }
      current.reset();
      pump();
      return;
    }
    if (r.status >= 200 && r.status < 300) {
      succeeded();
      report(item, r.status, r.body);
      sent++;
      done_one();
    } else if ((r.status == 404 || r.status == 410) &&
               item.event.type != EventType::kSessionEnd && start_template) {
      // The session is gone (expired, closed): open a new one that resumes
      // it, then send this event again on it.
      report(item, r.status, r.body);
      Event failed = std::move(item.event);
      Event start = resume_start(failed);
      pending.push_front(std::move(failed));
      have_session = false;
      current = Item{std::move(start), 0, true, true};
      send_current();
      return;
    } else if (r.status == 404 || r.status == 410) {
      // Our sessionEnd to a session that is already closed: nothing to do.
      report(item, r.status, r.body);
      sent++;
      done_one();
    } else {
      report(item, r.status, r.body);
      warn(WarningKind::kRejected, std::string(event_type_name(item.event.type)) +
                                       " rejected with HTTP " + std::to_string(r.status) +
                                       " and dropped: " + r.body);
      drop(DropReason::kRejected);
    }
    current.reset();
    pump();
  }

  // Worker: stop for good. Cancels the request in flight and drops the rest.
  void shutdown() {
    shut = true;
    g_cancellable_cancel(cancel);
    if (retry) {
      g_source_destroy(retry);
      g_source_unref(retry);
      retry = nullptr;
    }
    uint64_t before = dropped.load();
    drain_intake();
    if (current && !current->resume)
      drop(DropReason::kFlush);
    current.reset();
    for (size_t i = 0; i < pending.size(); i++)
      drop(DropReason::kFlush);
    pending.clear();
    uint64_t lost = dropped.load() - before;
    if (lost > 0)
      warn(WarningKind::kFlushIncomplete, "flush deadline reached: dropped " +
                                              std::to_string(lost) +
                                              " undelivered events");
  }
};

SessionClient::SessionClient(SessionClientOptions options) : sender_(Sender::acquire()) {
  state_ = std::make_shared<State>(std::move(options), sender_.get());
}

SessionClient::~SessionClient() {
  if (!state_->closed.load())
    finish(0);
  state_.reset();
  // The last client stops the worker here (bounded join).
  sender_.reset();
}

void SessionClient::submit(Event event) {
  State &s = *state_;
  s.generated++;
  if (s.closed.load()) {
    s.dropped++;
    s.dropped_by[static_cast<int>(DropReason::kFlush)]++;
    return;
  }
  s.queued++;
  g_async_queue_push(s.intake, new Event(std::move(event)));
  s.wake();
}

bool SessionClient::finish(int64_t deadline_ms) {
  State &s = *state_;
  g_return_val_if_fail(!sender_->on_worker(), false);
  s.closed.store(true);
  s.wake();  // events submitted just now still go
  gint64 until = g_get_monotonic_time() + (deadline_ms > 0 ? deadline_ms : 0) * 1000;
  g_mutex_lock(&s.lock);
  while (s.queued.load() != 0)
    if (!g_cond_wait_until(&s.cond, &s.lock, until))
      break;
  bool delivered = s.queued.load() == 0;
  g_mutex_unlock(&s.lock);

  // Stop the client on the worker (even when all went out: a retry or a
  // resume may still be scheduled), and wait until no callback of ours can
  // run any more.
  std::shared_ptr<State> state = state_;
  sender_->invoke([state]() {
    state->shutdown();
    g_mutex_lock(&state->lock);
    state->shut_ack = true;
    g_cond_broadcast(&state->cond);
    g_mutex_unlock(&state->lock);
  });
  gint64 ack_until = g_get_monotonic_time() + kAckBoundUs;
  g_mutex_lock(&s.lock);
  while (!s.shut_ack)
    if (!g_cond_wait_until(&s.cond, &s.lock, ack_until))
      break;
  g_mutex_unlock(&s.lock);
  return delivered;
}

SessionClientStats SessionClient::stats() const {
  const State &s = *state_;
  SessionClientStats out;
  out.generated = s.generated.load();
  out.sent = s.sent.load();
  out.queued = s.queued.load();
  out.dropped = s.dropped.load();
  for (int i = 0; i < kDropReasons; i++)
    out.dropped_by[i] = s.dropped_by[i].load();
  out.retried = s.retried.load();
  out.sessions_started = s.sessions_started.load();
  out.last_http_status = s.last_status.load();
  return out;
}

}  // namespace mediaanalytics
