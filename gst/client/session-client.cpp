#include "session-client.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "location.h"
#include "sanitize.h"
#include "sender.h"

namespace mediaanalytics {

namespace {

constexpr int kDropReasons = static_cast<int>(DropReason::kCount);

// How long finish() and the destructor wait for the worker to acknowledge the
// shutdown of a client, beyond the deadline. The worker never blocks, so this
// is only reached if a callback of the application blocks.
constexpr gint64 kAckBoundUs = 2 * G_TIME_SPAN_SECOND;

// How many 201s without a usable Location one sessionStart may get before the
// client gives its session up (attempts in all, the retries with the backoff).
constexpr unsigned kBadLocationAttempts = 3;

// The bit of State::queued that says finish() was called.
constexpr uint64_t kClosed = uint64_t{1} << 63;

bool is_lifecycle(EventType type) {
  return type == EventType::kSessionStart || type == EventType::kSessionComplete ||
         type == EventType::kSessionEnd;
}

// The events that set the playback state a session is in until the next
// one (spec §6): playing, paused, buffering.
bool is_playback_state(EventType type) {
  return type == EventType::kPlay || type == EventType::kPauseStart ||
         type == EventType::kBufferStart;
}

// Worth retrying unchanged: no answer, a server error, or "try later".
bool is_transient(unsigned status) {
  return status == 0 || status >= 500 || status == 408 || status == 429;
}

void free_event(gpointer data) {
  delete static_cast<Event *>(data);
}

// What the server wrote, fit for a warning: the application logs warnings,
// and a hostile server must not put control sequences (or megabytes) there.
std::string server_text(const std::string &text) {
  return sanitize_text(text, 256);
}

// A final answer that is not a success, in words: a redirect says where to
// (the Sender never follows one), anything else its body.
std::string refusal(const SenderResult &r) {
  if (r.status >= 300 && r.status < 400)
    return "HTTP " + std::to_string(r.status) + ": the endpoint redirected to \"" +
           server_text(r.location) + "\" and redirects are not followed";
  return "HTTP " + std::to_string(r.status) + ": " + server_text(r.body);
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
  State(SessionClientOptions o, SenderWorker *w)
      : opt(std::move(o)),
        worker(w),
        backoff(opt.backoff_initial_ms, opt.backoff_max_ms, opt.jitter),
        intake_cap(opt.max_queue + kIntakeMargin),
        intake(g_async_queue_new_full(free_event)),
        cancel(g_cancellable_new()) {
    g_mutex_init(&lock);
    g_cond_init(&cond);
  }
  // No timer can be pending here: each holds a reference to this state.
  ~State() {
    g_async_queue_unref(intake);
    g_object_unref(cancel);
    g_mutex_clear(&lock);
    g_cond_clear(&cond);
  }

  // --- Any thread --------------------------------------------------------
  const SessionClientOptions opt;
  // Valid on the worker (its thread holds a share of the block until it
  // exits) and in the client's methods (the client holds the Sender).
  SenderWorker *const worker;
  const Backoff backoff;
  const std::size_t intake_cap;  // pings beyond it are dropped by submit()
  GAsyncQueue *const intake;     // Event*, from the producers
  GCancellable *const cancel;
  std::atomic<bool> wake_pending{false};
  // Submitted events not yet sent or dropped, with kClosed once finish() was
  // called: one atomic, so that a submit() either counts before finish()
  // closes (and finish() waits for it) or sees the bit and backs out.
  std::atomic<uint64_t> queued{0};
  std::atomic<uint64_t> intake_len{0};  // events in `intake`
  // The client is gone: the worker calls no callback and sends nothing more.
  std::atomic<bool> detached{false};
  std::atomic<bool> intake_drop_noted{false};  // a note_intake_overflow() is due
  std::atomic<bool> late_drop_noted{false};    // submits after finish() reported
  std::atomic<uint64_t> late_dropped{0};

  std::atomic<uint64_t> generated{0}, sent{0}, dropped{0}, retried{0},
      sessions_started{0};
  std::atomic<uint64_t> dropped_by[kDropReasons] = {};
  std::atomic<unsigned> last_status{0};

  // finish() waits on these; the worker never holds `lock` while calling out.
  GMutex lock;
  GCond cond;
  bool shut_ack = false;  // under lock

  bool closed() const { return (queued.load() & kClosed) != 0; }
  uint64_t in_queue() const { return queued.load() & ~kClosed; }

  // Takes one event off `queued`; wakes finish() when none is left.
  void release_one() {
    if ((queued.fetch_sub(1) & ~kClosed) == 1) {
      g_mutex_lock(&lock);
      g_cond_broadcast(&cond);
      g_mutex_unlock(&lock);
    }
  }

  void count_drop(DropReason reason) {
    dropped++;
    dropped_by[static_cast<int>(reason)]++;
  }

  void wake() {
    if (!wake_pending.exchange(true)) {
      std::shared_ptr<State> self = shared_from_this();
      worker->invoke([self]() { self->pump(); });
    }
  }

  // Producer side: a ping dropped for the intake bound. The warning (once
  // per burst, shared with the worker's own overflow drops) goes out from the
  // worker.
  void note_intake_overflow() {
    if (intake_drop_noted.exchange(true))
      return;
    std::shared_ptr<State> self = shared_from_this();
    worker->invoke([self]() {
      self->intake_drop_noted.store(false);
      self->overflow_warning("ping", "dropped at submit, the client is behind");
    });
  }

  // Producer side: an event submitted after finish().
  void note_late_drop() {
    late_dropped++;
    if (late_drop_noted.exchange(true))
      return;
    std::shared_ptr<State> self = shared_from_this();
    worker->invoke([self]() {
      self->warn(WarningKind::kFlushIncomplete,
                 std::to_string(self->late_dropped.load()) +
                     " event(s) submitted after finish() dropped (further ones are "
                     "only counted)");
    });
  }

  // --- Worker only -------------------------------------------------------
  struct Item {
    Event event;
    unsigned attempts = 0;
    bool is_start = false;
    // Made by the client to reopen a session: its sessionStart, and the
    // playback state re-sent on it (no submitted event).
    bool resume = false;
    unsigned resumes = 0;  // sessions reopened for this event so far
    // For a resume: what goes on the new session before anything else: the
    // playback state re-sent (itself `resume`, with the rest as its replay),
    // then the event that found its session gone.
    std::unique_ptr<Item> replay;
    unsigned bad_locations = 0;  // 201s without a usable Location to it
  };
  std::deque<Event> pending;
  std::optional<Item> current;  // in flight, or waiting for its retry
  bool in_flight = false;
  SenderWorker::TimerId retry = 0;
  std::optional<Event> start_template;  // the last submitted sessionStart
  bool have_session = false;
  std::string sid;
  // The playback state of the session: the type of the latest play,
  // pauseStart or bufferStart it accepted. A session the client reopens
  // continues in it (spec §4.3: "continue, e.g. with play"): without it the
  // back end counts no playing time in the new session until the next
  // change.
  std::optional<EventType> playback_state;
  // The player states (§11) the session accepted as started and not ended.
  // States do not carry over to a new session: one the client reopens gets
  // them again (spec §4.3 step 3).
  std::vector<std::string> active_states;
  unsigned failures_in_row = 0;
  bool unreachable_warned = false;
  bool certificate_warned = false;  // until the next 2xx
  bool overflow_burst = false;
  bool no_session_burst = false;
  bool bad_location_burst = false;
  uint64_t worker_dropped = 0;  // drop() calls (worker only)
  // The ping grid (worker only): due times ping_anchor_ms + k * ping_interval_ms.
  SenderWorker::TimerId ping_timer = 0;
  bool pinging = false;
  int64_t ping_anchor_ms = 0;
  int64_t ping_interval_ms = 0;
  int64_t ping_last_k = 0;         // the latest tick run (k of the current anchor)
  int64_t ping_next_interval = 0;  // > 0: set_ping_interval(), from the next tick
  // The one-shot wakeup of set_wakeup() (worker only).
  SenderWorker::TimerId wakeup_timer = 0;
  // Set by shutdown(), which may run inside a callback (finish() or the
  // destructor on the worker): every caller of warn() or report() checks it
  // on return and stops, since shutdown() has dropped `current` and the rest.
  bool shut = false;

  void warn(WarningKind kind, std::string message) {
    if (detached.load())
      return;
    // The callback is the channel (the element makes it a GST_WARNING and a
    // rate-limited message); this log is for programs without one.
    g_log("mediaanalytics", G_LOG_LEVEL_INFO, "%s", message.c_str());
    if (opt.on_warning)
      opt.on_warning(ClientWarning{kind, std::move(message)});
  }

  // Takes `current` out, before a callback may run: shutdown() no longer
  // sees it, so the caller accounts for it.
  Item take_current() {
    Item item = std::move(*current);
    current.reset();
    return item;
  }

  void report(const Item &item, unsigned status, const std::string &body) {
    if (!opt.on_report || detached.load())
      return;
    RequestReport r;
    r.type = item.event.type;
    r.playhead = item.event.playhead;
    r.ts_ms = item.event.ts_ms;
    r.session_id = have_session ? sid : std::string();
    r.http_status = status;
    r.attempts = item.attempts;
    r.resume = item.resume;
    // For the application's bus message: valid UTF-8 without controls.
    r.body = sanitize_text(body, SenderWorker::kMaxResponseBody);
    opt.on_report(r);
  }

  // One submitted event has left the client (sent or dropped).
  void done_one() { release_one(); }

  void drop(DropReason reason) {
    worker_dropped++;
    count_drop(reason);
    done_one();
  }

  void overflow_warning(const std::string &name, const char *where) {
    if (overflow_burst)
      return;
    overflow_burst = true;
    warn(WarningKind::kQueueOverflow,
         "event queue full (max " + std::to_string(opt.max_queue) + "): dropped " + name +
             " (" + where + "; further drops of this burst are only counted)");
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
    overflow_warning(name, "in the client");
  }

  void drain_intake() {
    while (auto *e = static_cast<Event *>(g_async_queue_try_pop(intake))) {
      intake_len--;
      if (shut)
        drop(DropReason::kFlush);
      else
        enqueue(std::move(*e));
      delete e;
    }
  }

  void pump() {
    wake_pending.store(false);
    if (detached.load())
      return;
    drain_intake();
    if (shut || current)
      return;
    while (!pending.empty()) {
      Event e = std::move(pending.front());
      pending.pop_front();
      if (e.type == EventType::kSessionStart) {
        start_template = e;
        have_session = false;
        playback_state.reset();
        active_states.clear();
        no_session_burst = false;  // one warning per sessionStart without a session
        sid.clear();
        current = Item{std::move(e), 0, true, false, 0, nullptr};
        break;
      }
      if (!have_session) {
        drop(DropReason::kNoSession);
        if (!no_session_burst) {
          no_session_burst = true;
          warn(WarningKind::kNoSession,
               std::string("no session is open: dropped ") + event_type_name(e.type) +
                   " (until the next sessionStart; further drops are only counted)");
          if (shut)
            return;
        }
        continue;
      }
      current = Item{std::move(e), 0, false, false, 0, nullptr};
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
    std::string url =
        item.is_start ? sessions_url(opt.endpoint) : events_url(opt.endpoint, sid);
    std::shared_ptr<State> self = shared_from_this();
    worker->post(url, event_to_body(item.event), opt.request_timeout_ms, cancel,
                 opt.tls_trust, [self](const SenderResult &r) { self->on_done(r); });
  }

  // Sends `current` after `delay_ms`.
  void send_later(int64_t delay_ms) {
    std::shared_ptr<State> self = shared_from_this();
    retry = worker->add_timer(delay_ms, [self]() {
      self->retry = 0;
      if (!self->detached.load() && !self->shut && self->current)
        self->send_current();
    });
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
        if (shut)
          return;
      }
    }
    send_later(backoff.delay_ms(current->attempts));
  }

  void succeeded() {
    failures_in_row = 0;
    unreachable_warned = false;
    certificate_warned = false;
    if (pending.size() < opt.max_queue)
      overflow_burst = false;
  }

  // The sessionStart that reopens the session for `failed`, the oldest event
  // to be sent again: stamped just before it, so that the new session sees
  // its start first and increasing ts after it.
  Event resume_start(const Event &failed) {
    Event start = *start_template;
    start.params.set("media.resume", true);
    start.ts_ms = failed.ts_ms - 1;
    start.playhead = failed.playhead;
    return start;
  }

  // The playback state `failed` was sent in, to re-send on the session that
  // replaces the one it found gone: stamped just before it, bare (its
  // qoeData went with the original).
  Event state_before(const Event &failed) const {
    Event state;
    state.type = *playback_state;
    state.ts_ms = failed.ts_ms - 1;
    state.playhead = failed.playhead;
    return state;
  }

  // The player states still active, started again on the session that
  // replaces the one `failed` found gone; stamped before it like the state.
  Event states_before(const Event &failed, int64_t ts_ms) const {
    Event states;
    states.type = EventType::kStatesUpdate;
    states.ts_ms = ts_ms;
    states.playhead = failed.playhead;
    states.states_start = active_states;
    return states;
  }

  void note_states(const Event &accepted) {
    for (const std::string &name : accepted.states_end)
      active_states.erase(std::remove(active_states.begin(), active_states.end(), name),
                          active_states.end());
    for (const std::string &name : accepted.states_start)
      if (std::find(active_states.begin(), active_states.end(), name) ==
          active_states.end())
        active_states.push_back(name);
  }

  // The event a chain of client-made items is for (nullptr: none).
  static Item *submitted_in(Item *item) {
    while (item && item->resume)
      item = item->replay.get();
    return item;
  }

  // A 404/410 to `current` (not a sessionEnd): the session is gone.
  void session_gone(unsigned status) {
    // A re-sent state is not the event the resume was for: that one goes
    // again behind a new session (and a state re-sent again).
    if (current->resume) {
      Item event = std::move(*submitted_in(&*current));  // out before current goes
      current = std::move(event);
    }
    Item &item = *current;
    if (item.resumes >= opt.max_resumes) {
      Item done = take_current();
      drop(DropReason::kRejected);
      warn(WarningKind::kRejected, std::string(event_type_name(done.event.type)) +
                                       " got HTTP " + std::to_string(status) +
                                       " again after " + std::to_string(done.resumes) +
                                       " new session(s) were opened for it; dropped");
      if (!shut)
        pump();
      return;
    }
    // Open a new session that resumes this one, then send the event again
    // on it. The first resume goes at once (a session that expired); a
    // second one for the same event waits for the backoff.
    auto replay = std::make_unique<Item>(std::move(item));
    replay->attempts = 0;
    unsigned before = replay->resumes++;
    Event start = resume_start(replay->event);
    // What the new session must know before the event, each stamped before
    // the next: the player states, then the playback state.
    const Event failed = replay->event;
    if (playback_state && !is_playback_state(failed.type)) {
      start.ts_ms--;
      replay = std::make_unique<Item>(
          Item{state_before(failed), 0, false, true, 0, std::move(replay)});
    }
    if (!active_states.empty()) {
      start.ts_ms--;
      replay = std::make_unique<Item>(Item{states_before(failed, start.ts_ms + 1), 0,
                                           false, true, 0, std::move(replay)});
    }
    have_session = false;
    current = Item{std::move(start), 0, true, true, 0, std::move(replay)};
    if (before == 0)
      send_current();
    else
      send_later(backoff.delay_ms(before));
  }

  // A sessionStart that could not open its session (a final 4xx, or too many
  // 201s without a usable Location), already taken out of `current` and
  // accounted for: without a session, pump() drops what follows until the
  // next sessionStart, the event a resume was for included.
  void start_failed(Item &done) {
    have_session = false;
    if (Item *event = submitted_in(done.replay.get()))
      pending.push_front(std::move(event->event));
  }

  void on_done(const SenderResult &r) {
    in_flight = false;
    if (shut || detached.load()) {
      current.reset();
      return;
    }
    last_status.store(r.status);
    Item &item = *current;
    if (!r.certificate_problem.empty() && !certificate_warned) {
      // At the first refusal: the remedy is in the configuration, not in
      // the retries that follow.
      certificate_warned = true;
      warn(WarningKind::kBadCertificate,
           "the TLS certificate of " + opt.endpoint +
               " was refused: " + r.certificate_problem +
               "; if a private certificate authority signed it, give that CA's "
               "certificate (PEM) in tls-ca-file; retrying");
      if (shut)
        return;
    }
    if (is_transient(r.status)) {
      std::string why = r.status ? "HTTP " + std::to_string(r.status) : r.error;
      schedule_retry(true, why);
      return;
    }
    // From here on, `current` is taken out (and accounted for) before any
    // callback runs, and nothing is done after one if it shut the client.
    if (item.is_start) {
      if (r.status >= 200 && r.status < 300) {
        std::optional<std::string> id =
            session_id_from_location(r.location.empty() ? nullptr : r.location.c_str());
        if (!id) {
          item.bad_locations++;
          if (item.bad_locations < kBadLocationAttempts) {
            if (!bad_location_burst) {
              bad_location_burst = true;
              warn(WarningKind::kBadLocation,
                   "a " + std::to_string(r.status) +
                       " to sessionStart had no usable Location (\"" +
                       server_text(r.location) + "\"); retrying (at most " +
                       std::to_string(kBadLocationAttempts) + " attempts)");
              if (shut)
                return;
            }
            schedule_retry(false, "bad Location");
            return;
          }
          // Each attempt may have opened a session the client cannot name:
          // give this one up rather than make more.
          Item done = take_current();
          bad_location_burst = false;
          if (!done.resume)
            drop(DropReason::kNoSession);
          start_failed(done);
          no_session_burst = true;  // this warning covers the drops that follow
          warn(WarningKind::kNoSession,
               std::to_string(kBadLocationAttempts) +
                   " answers to sessionStart had no usable Location (last: \"" +
                   server_text(r.location) +
                   "\"): no session; events until the next sessionStart are dropped");
          if (!shut)
            pump();
          return;
        }
        sid = *id;
        have_session = true;
        no_session_burst = false;
        bad_location_burst = false;
        sessions_started++;
        succeeded();
        Item done = take_current();
        // The event the resume was for goes next, before anything else.
        if (done.replay)
          current = std::move(*done.replay);
        if (!done.resume) {
          sent++;
          done_one();
        }
        report(done, r.status, r.body);
        if (shut)
          return;
        if (current)
          send_current();
        else
          pump();
        return;
      }
      Item done = take_current();
      if (!done.resume)
        drop(DropReason::kRejected);
      start_failed(done);
      report(done, r.status, r.body);
      if (shut)
        return;
      warn(WarningKind::kRejected, "sessionStart rejected with " + refusal(r));
      if (!shut)
        pump();
      return;
    }
    if ((r.status == 404 || r.status == 410) &&
        item.event.type != EventType::kSessionEnd && start_template) {
      // Still `current`: if the callback shuts the client, it is dropped.
      report(item, r.status, r.body);
      if (!shut)
        session_gone(r.status);
      return;
    }
    Item done = take_current();
    const bool accepted = r.status >= 200 && r.status < 300;
    if (accepted && is_playback_state(done.event.type))
      playback_state = done.event.type;
    if (accepted && done.event.type == EventType::kStatesUpdate)
      note_states(done.event);
    bool rejected = false;
    if (done.resume) {
      // A state re-sent on a reopened session, no submitted event: the event
      // it was re-sent for goes next, whatever the answer.
      current = std::move(*done.replay);
      if (accepted)
        succeeded();
    } else if (accepted || r.status == 404 || r.status == 410) {
      // A 404/410 here is our sessionEnd to a session already closed.
      if (r.status < 300)
        succeeded();
      sent++;
      done_one();
    } else {
      drop(DropReason::kRejected);
      rejected = true;
    }
    report(done, r.status, r.body);
    if (shut)
      return;
    if (rejected) {
      warn(WarningKind::kRejected, std::string(event_type_name(done.event.type)) +
                                       " rejected and dropped, " + refusal(r));
      if (shut)
        return;
    }
    if (current)
      send_current();
    else
      pump();
  }

  static int64_t monotonic_ms() { return g_get_monotonic_time() / 1000; }

  void cancel_ping_timer() {
    worker->cancel_timer(ping_timer);
    ping_timer = 0;
  }

  void stop_ping_grid() {
    pinging = false;
    ping_next_interval = 0;
    cancel_ping_timer();
  }

  void start_ping_grid(int64_t anchor_ms, int64_t interval_ms, int64_t first_tick) {
    stop_ping_grid();
    if (shut || detached.load() || interval_ms <= 0)
      return;
    pinging = true;
    ping_anchor_ms = anchor_ms;
    ping_interval_ms = interval_ms;
    ping_last_k = first_tick > 1 ? first_tick - 1 : 0;
    // The first tick runs even if it is already late (a grid anchored in the
    // past hands over at first_tick); later missed ticks are skipped.
    const int64_t due = anchor_ms + (ping_last_k + 1) * interval_ms;
    const int64_t now = monotonic_ms();
    const int64_t k = ping_last_k + 1;
    std::shared_ptr<State> self = shared_from_this();
    ping_timer =
        worker->add_timer(due > now ? due - now : 0, [self, k]() { self->ping_tick(k); });
  }

  // The timer for the first grid point after now (and after the last tick
  // run): late ticks are skipped, never run in a burst.
  void schedule_ping() {
    const int64_t now = monotonic_ms();
    int64_t k = ping_last_k + 1;
    if (now >= ping_anchor_ms) {
      const int64_t passed = (now - ping_anchor_ms) / ping_interval_ms + 1;
      if (passed > k)
        k = passed;
    }
    const int64_t due = ping_anchor_ms + k * ping_interval_ms;
    std::shared_ptr<State> self = shared_from_this();
    ping_timer =
        worker->add_timer(due > now ? due - now : 0, [self, k]() { self->ping_tick(k); });
  }

  void ping_tick(int64_t k) {
    ping_timer = 0;
    if (!pinging || shut || detached.load())
      return;
    ping_last_k = k;
    if (ping_next_interval > 0) {
      // The interval changed: this tick anchors the new grid.
      ping_anchor_ms += k * ping_interval_ms;
      ping_interval_ms = ping_next_interval;
      ping_next_interval = 0;
      ping_last_k = 0;
    }
    if (opt.on_ping_due)
      opt.on_ping_due();
    // Scheduled after the callback, so that the ticks a slow one made late
    // are skipped. The callback may have shut the client (finish() on the
    // worker); start_pings() and stop_pings() come later, through invoke().
    if (pinging && !shut && !detached.load() && !ping_timer)
      schedule_ping();
  }

  void cancel_wakeup() {
    worker->cancel_timer(wakeup_timer);
    wakeup_timer = 0;
  }

  void arm_wakeup(int64_t due_ms) {
    cancel_wakeup();
    if (due_ms < 0 || shut || detached.load())
      return;
    const int64_t now = monotonic_ms();
    std::shared_ptr<State> self = shared_from_this();
    wakeup_timer = worker->add_timer(due_ms > now ? due_ms - now : 0, [self]() {
      self->wakeup_timer = 0;
      if (!self->shut && !self->detached.load() && self->opt.on_wakeup)
        self->opt.on_wakeup();
    });
  }

  // Worker: stop for good. Cancels the request in flight and drops the rest,
  // with one warning. May run inside a callback (finish() or the destructor
  // on the worker): the code that called the callback checks `shut`.
  void shutdown(const char *why) {
    shut = true;
    stop_ping_grid();
    cancel_wakeup();
    g_cancellable_cancel(cancel);
    worker->cancel_timer(retry);
    retry = 0;
    // The worker's own drops: `dropped` also counts the producers' late
    // submits, which may happen meanwhile and have their own warning.
    uint64_t before = worker_dropped;
    drain_intake();
    // A resume is no submitted event, but the event it was for is.
    if (current && (!current->resume || current->replay))
      drop(DropReason::kFlush);
    current.reset();
    for (size_t i = 0; i < pending.size(); i++)
      drop(DropReason::kFlush);
    pending.clear();
    uint64_t lost = worker_dropped - before;
    if (lost > 0)
      warn(
          WarningKind::kFlushIncomplete,
          std::string(why) + ": dropped " + std::to_string(lost) + " undelivered events");
  }
};

SessionClient::SessionClient(SessionClientOptions options) : sender_(Sender::acquire()) {
  state_ = std::make_shared<State>(std::move(options), sender_->worker().get());
}

SessionClient::~SessionClient() {
  if (!state_->closed())
    finish(0);
  // From here on the worker calls nothing of the application's, even if the
  // shutdown was not acknowledged in time (a callback blocked).
  state_->detached.store(true);
  state_.reset();
  // The last client stops the worker here (bounded join).
  sender_.reset();
}

void SessionClient::submit(Event event) {
  State &s = *state_;
  s.generated++;
  if (event.type == EventType::kPing && s.intake_len.load() >= s.intake_cap &&
      !s.closed()) {
    // The worker is behind: bound the intake where the events pile up most.
    s.count_drop(DropReason::kOverflow);
    s.note_intake_overflow();
    return;
  }
  if ((s.queued.fetch_add(1) & kClosed) != 0) {
    s.release_one();  // finish() may wait for this count to go
    s.count_drop(DropReason::kFlush);
    s.note_late_drop();
    return;
  }
  s.intake_len++;
  g_async_queue_push(s.intake, new Event(std::move(event)));
  s.wake();
}

bool SessionClient::finish(int64_t deadline_ms) {
  State &s = *state_;
  if (sender_->on_worker()) {
    // A callback of this or another client (or the destructor, run there):
    // waiting would wait on ourselves. Close and stop at once; what was not
    // sent yet is dropped. Events submitted before the close count, those
    // after it back out of `queued` themselves.
    bool delivered = (s.queued.fetch_or(kClosed) & ~kClosed) == 0;
    s.shutdown("finished on the sender thread");
    return delivered;
  }
  s.queued.fetch_or(kClosed);
  s.wake();  // events submitted just now still go
  gint64 until = g_get_monotonic_time() + (deadline_ms > 0 ? deadline_ms : 0) * 1000;
  g_mutex_lock(&s.lock);
  while (s.in_queue() != 0)
    if (!g_cond_wait_until(&s.cond, &s.lock, until))
      break;
  bool delivered = s.in_queue() == 0;
  g_mutex_unlock(&s.lock);

  // Stop the client on the worker (even when all went out: a retry or a
  // resume may still be scheduled), and wait until no callback of ours can
  // run any more.
  std::shared_ptr<State> state = state_;
  sender_->invoke([state]() {
    state->shutdown("flush deadline reached");
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

void SessionClient::start_pings(int64_t anchor_monotonic_ms, int64_t interval_ms,
                                int64_t first_tick) {
  std::shared_ptr<State> state = state_;
  sender_->invoke([state, anchor_monotonic_ms, interval_ms, first_tick]() {
    if (!state->detached.load())
      state->start_ping_grid(anchor_monotonic_ms, interval_ms, first_tick);
  });
}

void SessionClient::set_ping_interval(int64_t interval_ms) {
  std::shared_ptr<State> state = state_;
  sender_->invoke([state, interval_ms]() {
    if (state->pinging && interval_ms > 0)
      state->ping_next_interval =
          interval_ms == state->ping_interval_ms ? 0 : interval_ms;
  });
}

void SessionClient::stop_pings() {
  std::shared_ptr<State> state = state_;
  sender_->invoke([state]() { state->stop_ping_grid(); });
}

void SessionClient::set_wakeup(int64_t due_monotonic_ms) {
  std::shared_ptr<State> state = state_;
  sender_->invoke([state, due_monotonic_ms]() { state->arm_wakeup(due_monotonic_ms); });
}

SessionClientStats SessionClient::stats() const {
  const State &s = *state_;
  SessionClientStats out;
  out.generated = s.generated.load();
  out.sent = s.sent.load();
  out.queued = s.in_queue();
  out.dropped = s.dropped.load();
  for (int i = 0; i < kDropReasons; i++)
    out.dropped_by[i] = s.dropped_by[i].load();
  out.retried = s.retried.load();
  out.sessions_started = s.sessions_started.load();
  out.last_http_status = s.last_status.load();
  return out;
}

}  // namespace mediaanalytics
