#include "sender.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>
#include <utility>

namespace mediaanalytics {

namespace {

std::mutex g_instance_lock;
std::weak_ptr<Sender> g_instance;

// How long the destructor waits for the worker to wind down.
std::atomic<gint64> g_join_bound_us{3 * G_TIME_SPAN_SECOND};

struct Call {
  std::function<void()> fn;
};

gboolean run_call(gpointer data) {
  static_cast<Call *>(data)->fn();
  return G_SOURCE_REMOVE;
}

void free_call(gpointer data) {
  delete static_cast<Call *>(data);
}

// libsoup 3.2's client does not reuse a connection after a 204 without
// Content-Length (it takes the empty body as ended by EOF). RFC 9110 says a
// 204 has no body, so declaring its length as 0 is exact, and keeps the
// connection in the pool.
void declare_empty_no_content(SoupMessage *msg, gpointer) {
  SoupMessageHeaders *headers = soup_message_get_response_headers(msg);
  if (soup_message_get_status(msg) == SOUP_STATUS_NO_CONTENT &&
      soup_message_headers_get_encoding(headers) == SOUP_ENCODING_EOF)
    soup_message_headers_set_content_length(headers, 0);
}

const char *env_either(const char *lower, const char *upper) {
  const char *value = g_getenv(lower);
  if (!value || !*value)
    value = g_getenv(upper);
  return value && *value ? value : nullptr;
}

// A proxy as the environment gives it; "proxy:3128" means http://proxy:3128.
std::string proxy_uri(const char *value) {
  return strstr(value, "://") ? value : std::string("http://") + value;
}

// libsoup asks its proxy resolver once per new connection. The default one
// (glib-networking's libproxy) answers from a thread of GLib's pool, so
// hundreds of elements opening their connections made a burst of threads.
// The proxies a GStreamer process is given are the environment's, read as
// curl and souphttpsrc read them: http_proxy (also for https when
// https_proxy is not set), https_proxy, all_proxy, and no_proxy as a comma
// separated list of hosts. A GSimpleProxyResolver made from them answers at
// once, without a thread.
GProxyResolver *environment_proxy_resolver() {
  g_auto(GStrv) ignore = nullptr;
  if (const char *no_proxy = env_either("no_proxy", "NO_PROXY")) {
    ignore = g_strsplit(no_proxy, ",", -1);
    // Without the empty entries: GLib takes the first one as the list's end.
    char **kept = ignore;
    for (char **entry = ignore; *entry; entry++) {
      if (*g_strstrip(*entry))
        *kept++ = *entry;
      else
        g_free(*entry);
    }
    *kept = nullptr;
  }
  const char *all = env_either("all_proxy", "ALL_PROXY");
  GProxyResolver *resolver =
      g_simple_proxy_resolver_new(all ? proxy_uri(all).c_str() : nullptr, ignore);
  GSimpleProxyResolver *simple = G_SIMPLE_PROXY_RESOLVER(resolver);
  const char *http = env_either("http_proxy", "HTTP_PROXY");
  const char *https = env_either("https_proxy", "HTTPS_PROXY");
  if (http)
    g_simple_proxy_resolver_set_uri_proxy(simple, "http", proxy_uri(http).c_str());
  if (https || http)
    g_simple_proxy_resolver_set_uri_proxy(simple, "https",
                                          proxy_uri(https ? https : http).c_str());
  return resolver;
}

// How much of a response body of unknown length one read asks for.
constexpr std::size_t kBodyChunk = 16 * 1024;

struct Request {
  SenderWorker *worker = nullptr;
  SoupMessage *msg = nullptr;
  GCancellable *cancellable = nullptr;  // ours: the timeout and the owner's cancel it
  GCancellable *owner = nullptr;        // the caller's, may be null
  gulong owner_handler = 0;
  SenderWorker::TimerId timer = 0;
  bool timed_out = false;
  std::shared_ptr<const TlsTrust> trust;  // may be null: the system's only
  std::string certificate_problem;        // set when the certificate was refused
  GInputStream *response = nullptr;       // the body, once the headers came
  std::string body;                       // what was read of it
  std::size_t body_read_at = 0;           // where the read in progress goes
  SenderWorker::Done done;

  ~Request() {
    worker->cancel_timer(timer);
    if (owner) {
      g_cancellable_disconnect(owner, owner_handler);
      g_object_unref(owner);
    }
    if (msg)
      g_signal_handlers_disconnect_by_data(msg, this);
    g_clear_object(&response);
    g_clear_object(&cancellable);
    g_clear_object(&msg);
  }
};

void owner_cancelled(GCancellable *, gpointer data) {
  // Runs in the thread that cancelled the owner's cancellable.
  g_cancellable_cancel(static_cast<GCancellable *>(data));
}

void request_timed_out(Request *r) {
  r->timer = 0;
  r->timed_out = true;
  g_cancellable_cancel(r->cancellable);
}

// Emitted during the TLS handshake of a new connection when the system's
// trust refused the server's certificate: accepted only if it verifies
// against the request's private CA for the URL's host.
gboolean accept_certificate(SoupMessage *msg, GTlsCertificate *peer,
                            GTlsCertificateFlags system_errors, gpointer data) {
  auto *r = static_cast<Request *>(data);
  GTlsCertificateFlags errors = system_errors;
  if (r->trust) {
    GUri *uri = soup_message_get_uri(msg);
    g_autoptr(GSocketConnectable) identity = g_network_address_new(
        g_uri_get_host(uri), static_cast<guint16>(g_uri_get_port(uri)));
    GTlsCertificateFlags ours = r->trust->verify(peer, identity);
    if (ours == 0) {
      // Only clients with this trust share this session (session_for()).
      return TRUE;
    }
    // What both refuse says most (a certificate of the private CA for the
    // wrong host: the identity, not the CA); else the private CA's verdict.
    GTlsCertificateFlags both = static_cast<GTlsCertificateFlags>(system_errors & ours);
    errors = both ? both : ours;
  }
  r->certificate_problem = describe_certificate_problems(errors);
  return FALSE;
}

void finish_request(Request *r, SenderResult &result) {
  SenderWorker::Done done = std::move(r->done);
  delete r;
  if (done)
    done(result);
}

// The response is over (whole, bounded or broken): the status counts, with
// what was read of the body.
void response_closed(GObject *, GAsyncResult *res, gpointer data) {
  auto *r = static_cast<Request *>(data);
  // An early close is a cancelled skip of the rest: its error is expected.
  g_input_stream_close_finish(r->response, res, nullptr);
  SenderResult result;
  result.status = soup_message_get_status(r->msg);
  const char *location =
      soup_message_headers_get_one(soup_message_get_response_headers(r->msg), "Location");
  if (location)
    result.location = location;
  result.body = std::move(r->body);
  finish_request(r, result);
}

void close_response(Request *r, bool at_end) {
  // Closing a libsoup body stream reads and discards what is left of the
  // body, to reuse the connection. At the end there is nothing left; before
  // it, an already cancelled close drops the connection instead.
  g_autoptr(GCancellable) abandon = at_end ? nullptr : g_cancellable_new();
  if (abandon)
    g_cancellable_cancel(abandon);
  g_input_stream_close_async(r->response, G_PRIORITY_DEFAULT, abandon, response_closed,
                             r);
}

void body_read(GObject *, GAsyncResult *res, gpointer data);

// The declared length of the response body still to come; -1: unknown.
goffset body_left(const Request *r) {
  SoupMessageHeaders *headers = soup_message_get_response_headers(r->msg);
  if (soup_message_headers_get_encoding(headers) != SOUP_ENCODING_CONTENT_LENGTH)
    return -1;
  const goffset left = soup_message_headers_get_content_length(headers) -
                       static_cast<goffset>(r->body.size());
  return left > 0 ? left : 0;
}

void read_body(Request *r) {
  const std::size_t room = SenderWorker::kMaxResponseBody - r->body.size();
  if (room == 0) {
    close_response(r, false);
    return;
  }
  // Straight into the kept body, never more than may still be kept, nor
  // more than the server said it sends. Most answers have no body (204, and
  // the 201 of a session): their read is of 1 byte, in the string's own
  // storage; it finds the end, which libsoup needs to see before the close
  // to keep the connection.
  std::size_t ask = std::min<std::size_t>(room, kBodyChunk);
  const goffset left = body_left(r);
  if (left >= 0)
    ask = std::min<std::size_t>(ask,
                                std::max<std::size_t>(static_cast<std::size_t>(left), 1));
  r->body_read_at = r->body.size();
  r->body.resize(r->body_read_at + ask);
  g_input_stream_read_async(r->response, &r->body[r->body_read_at],
                            r->body.size() - r->body_read_at, G_PRIORITY_DEFAULT,
                            r->cancellable, body_read, r);
}

void body_read(GObject *, GAsyncResult *res, gpointer data) {
  auto *r = static_cast<Request *>(data);
  gssize n = g_input_stream_read_finish(r->response, res, nullptr);
  r->body.resize(r->body_read_at + (n > 0 ? static_cast<std::size_t>(n) : 0));
  if (n > 0) {
    read_body(r);
    return;
  }
  // The end (0), or a body cut short (-1: timeout, cancel, connection
  // lost): the server answered all the same.
  close_response(r, n == 0);
}

void request_sent(GObject *source, GAsyncResult *res, gpointer data) {
  auto *r = static_cast<Request *>(data);
  g_autoptr(GError) error = nullptr;
  r->response = soup_session_send_finish(SOUP_SESSION(source), res, &error);
  if (r->response) {
    read_body(r);
    return;
  }
  SenderResult result;
  result.timed_out = r->timed_out;
  result.cancelled = !r->timed_out && r->owner && g_cancellable_is_cancelled(r->owner);
  result.error = error ? error->message : "unknown error";
  if (result.timed_out)
    result.error = "request timed out";
  result.certificate_problem = std::move(r->certificate_problem);
  finish_request(r, result);
}

}  // namespace

std::shared_ptr<Sender> Sender::acquire() {
  std::lock_guard<std::mutex> guard(g_instance_lock);
  std::shared_ptr<Sender> sender = g_instance.lock();
  if (!sender) {
    sender.reset(new Sender());
    g_instance = sender;
  }
  return sender;
}

void Sender::set_join_bound_ms(int64_t ms) {
  g_join_bound_us.store(ms > 0 ? ms * 1000 : 0);
}

SenderWorker::SenderWorker()
    : context_(g_main_context_new()), loop_(g_main_loop_new(context_, FALSE)) {
  g_mutex_init(&lock_);
  g_cond_init(&cond_);
}

SenderWorker::~SenderWorker() {
  // The thread has exited (joined, or it dropped the last share itself).
  // Sources still attached (calls of invoke() that came too late) are
  // destroyed with the context, without running.
  g_main_loop_unref(loop_);
  g_main_context_unref(context_);
  g_mutex_clear(&lock_);
  g_cond_clear(&cond_);
}

Sender::Sender() : worker_(std::make_shared<SenderWorker>()) {
  // The thread owns a share of the block until it has wound down.
  auto *share = new std::shared_ptr<SenderWorker>(worker_);
  SenderWorker &w = *worker_;
  // Set before the thread can run anything that asks on_worker().
  g_mutex_lock(&w.lock_);
  thread_ = g_thread_new("mediaanalytics", SenderWorker::thread_main, share);
  w.thread_ = thread_;
  while (!w.ready_)
    g_cond_wait(&w.cond_, &w.lock_);
  g_mutex_unlock(&w.lock_);
}

gpointer SenderWorker::thread_main(gpointer data) {
  auto *share = static_cast<std::shared_ptr<SenderWorker> *>(data);
  SenderWorker *self = share->get();
  g_main_context_push_thread_default(self->context_);
  // Created here, after the push: the session belongs to this context.
  self->proxies_ = environment_proxy_resolver();
  self->session_ = self->new_session();
  self->timers_ = std::make_unique<TimerQueue>(self->context_);
  // Ready only once the loop runs, so that no quit can be lost.
  GSource *started = g_idle_source_new();
  g_source_set_callback(
      started,
      [](gpointer d) -> gboolean {
        auto *s = static_cast<SenderWorker *>(d);
        g_mutex_lock(&s->lock_);
        s->ready_ = true;
        g_cond_broadcast(&s->cond_);
        g_mutex_unlock(&s->lock_);
        return G_SOURCE_REMOVE;
      },
      self, nullptr);
  g_source_attach(started, self->context_);
  g_source_unref(started);

  g_main_loop_run(self->loop_);

  // Winding down: cancel whatever is in flight, let the callbacks run, then
  // drop the session in the thread that made it.
  self->abort_sessions();
  while (g_main_context_iteration(self->context_, FALSE)) {
  }
  g_clear_object(&self->session_);
  for (TrustSession &t : self->trust_sessions_)
    g_object_unref(t.session);
  self->trust_sessions_.clear();
  g_clear_object(&self->proxies_);
  while (g_main_context_iteration(self->context_, FALSE)) {
  }
  // Timers not yet due are destroyed without running.
  self->timers_.reset();
  g_main_context_pop_thread_default(self->context_);

  g_mutex_lock(&self->lock_);
  self->exited_ = true;
  g_cond_broadcast(&self->cond_);
  g_mutex_unlock(&self->lock_);
  // Last: when the Sender detached us, this frees the block.
  delete share;
  return nullptr;
}

Sender::~Sender() {
  SenderWorker *w = worker_.get();
  w->invoke([w]() { g_main_loop_quit(w->loop_); });
  if (w->on_worker()) {
    // The last share of the Sender went in a callback on the worker: it
    // cannot join itself. The loop quits when the callback returns, and the
    // thread frees the block when it has wound down.
    g_thread_unref(thread_);
    return;
  }
  gint64 until = g_get_monotonic_time() + g_join_bound_us.load();
  g_mutex_lock(&w->lock_);
  while (!w->exited_)
    if (!g_cond_wait_until(&w->cond_, &w->lock_, until))
      break;
  bool exited = w->exited_;
  g_mutex_unlock(&w->lock_);
  if (exited) {
    g_thread_join(thread_);
  } else {
    // A callback is stuck on the worker: detach the thread rather than hang
    // the caller. It keeps its share of the block and frees it on exit.
    g_warning("mediaanalytics: the sender thread did not stop in time; leaving it");
    g_thread_unref(thread_);
  }
}

SoupSession *SenderWorker::new_session() const {
  return soup_session_new_with_options("max-conns", 64, "max-conns-per-host", 16,
                                       "idle-timeout", 60, "proxy-resolver", proxies_,
                                       nullptr);
}

void SenderWorker::abort_sessions() {
  soup_session_abort(session_);
  for (TrustSession &t : trust_sessions_)
    soup_session_abort(t.session);
}

SoupSession *SenderWorker::session_for(const std::shared_ptr<const TlsTrust> &trust) {
  if (!trust || !session_)
    return session_;
  SoupSession *found = nullptr;
  // Sessions of trusts nobody holds any more go; their connections are idle
  // (a request in flight holds its trust).
  auto gone = std::remove_if(trust_sessions_.begin(), trust_sessions_.end(),
                             [&](TrustSession &t) {
                               std::shared_ptr<const TlsTrust> held = t.trust.lock();
                               if (held == trust)
                                 found = t.session;
                               if (held)
                                 return false;
                               g_object_unref(t.session);
                               return true;
                             });
  trust_sessions_.erase(gone, trust_sessions_.end());
  if (!found) {
    found = new_session();
    trust_sessions_.push_back({trust, found});
  }
  return found;
}

void SenderWorker::invoke(std::function<void()> fn) {
  GSource *source = g_idle_source_new();
  g_source_set_priority(source, G_PRIORITY_DEFAULT);
  g_source_set_callback(source, run_call, new Call{std::move(fn)}, free_call);
  g_source_attach(source, context_);
  g_source_unref(source);
}

SenderWorker::TimerId SenderWorker::add_timer(int64_t delay_ms,
                                              std::function<void()> fn) {
  return timers_ ? timers_->add(delay_ms, std::move(fn)) : 0;
}

void SenderWorker::cancel_timer(TimerId id) {
  if (timers_ && id != 0) {
    timers_->cancel(id);
  }
}

void SenderWorker::post(const std::string &url, std::string body, int64_t timeout_ms,
                        GCancellable *cancellable, std::shared_ptr<const TlsTrust> trust,
                        Done done) {
  auto *r = new Request();
  r->worker = this;
  r->done = std::move(done);
  r->trust = std::move(trust);
  r->msg = soup_message_new("POST", url.c_str());
  if (!r->msg || !session_) {
    Result result;
    result.error = r->msg ? "the sender is stopping" : "invalid URL: " + url;
    Done d = std::move(r->done);
    delete r;
    // Still asynchronous, as a real failure would be.
    invoke([d = std::move(d), result]() {
      if (d)
        d(result);
    });
    return;
  }
  // No redirects: libsoup would follow a 301/302/303 with a GET (the event
  // lost) and a 307/308 with the body to wherever the answer points. The
  // endpoint is configured; a redirect is its answer, reported as such.
  soup_message_add_flags(r->msg, static_cast<SoupMessageFlags>(SOUP_MESSAGE_IDEMPOTENT |
                                                               SOUP_MESSAGE_NO_REDIRECT));
  g_signal_connect(r->msg, "got-headers", G_CALLBACK(declare_empty_no_content), nullptr);
  // Only a TLS handshake asks (and a GClosure per request is not free).
  if (g_ascii_strcasecmp(g_uri_get_scheme(soup_message_get_uri(r->msg)), "https") == 0)
    g_signal_connect(r->msg, "accept-certificate", G_CALLBACK(accept_certificate), r);
  auto *owned = new std::string(std::move(body));
  GBytes *bytes = g_bytes_new_with_free_func(
      owned->data(), owned->size(),
      [](gpointer p) { delete static_cast<std::string *>(p); }, owned);
  soup_message_set_request_body_from_bytes(r->msg, "application/json", bytes);
  g_bytes_unref(bytes);

  r->cancellable = g_cancellable_new();
  if (cancellable) {
    r->owner = G_CANCELLABLE(g_object_ref(cancellable));
    // Connects, or calls at once if already cancelled.
    r->owner_handler = g_cancellable_connect(cancellable, G_CALLBACK(owner_cancelled),
                                             r->cancellable, nullptr);
  }
  if (timeout_ms > 0) {
    r->timer = add_timer(timeout_ms, [r]() { request_timed_out(r); });
  }
  // Not send_and_read: it reads the whole body into memory, however large.
  soup_session_send_async(session_for(r->trust), r->msg, G_PRIORITY_DEFAULT,
                          r->cancellable, request_sent, r);
}

}  // namespace mediaanalytics
