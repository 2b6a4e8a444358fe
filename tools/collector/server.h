// The collector's HTTP face: a SoupServer that speaks the Media Collection API
// (spec §1, §3), validates every body against the event schemas, keeps
// sessions and their findings, records everything, and injects faults.
//
// Single-threaded: everything runs in the thread-default main context of the
// thread that calls start().
#pragma once

#include "connection-reaper.h"
#include "fault-plan.h"
#include "record.h"
#include "session-store.h"
#include "tls-acceptor.h"

#include <libsoup/soup.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace collector {

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned port = 0;  // 0 = any free port
  // Larger request bodies are refused with 413 without being kept in memory.
  int64_t max_body_bytes = 1024 * 1024;
  // PEM files of the certificate (chain) and its private key: both set, the
  // server speaks https only; both empty, http.
  std::string tls_cert_file;
  std::string tls_key_file;
  ExpiryOptions expiry;
  CheckerOptions checks;
  FaultOptions faults;
};

class Server {
 public:
  Server(const ServerOptions &options, Record &record);
  ~Server();
  Server(const Server &) = delete;
  Server &operator=(const Server &) = delete;

  // Binds and starts serving; FALSE with `error` set when it cannot.
  gboolean start(GError **error);
  // "http://127.0.0.1:PORT" (https with a certificate) once started.
  const std::string &url() const { return url_; }
  // Stops listening and closes every open session in the record.
  void stop();
  // Serves a connection that did not come through the listening socket, as
  // if it had been accepted there: the fuzzer hands over in-memory streams,
  // so requests go through the whole server without a network. After start().
  gboolean serve_stream(GIOStream *stream, GSocketAddress *peer, GError **error);

 private:
  struct Request;
  struct Deferred;

  static void on_request_started(SoupServer *, SoupServerMessage *msg, gpointer self);
  static void on_early(SoupServer *, SoupServerMessage *msg, const char *path,
                       GHashTable *, gpointer self);
  static void on_request(SoupServer *, SoupServerMessage *msg, const char *path,
                         GHashTable *, gpointer self);
  static void on_request_done(SoupServerMessage *msg, gpointer self);
  static void on_request_aborted(SoupServer *, SoupServerMessage *msg, gpointer self);
  static gboolean on_tick(gpointer self);
  static gboolean on_deferred_due(gpointer deferred);
  static void on_deferred_lost(SoupServerMessage *, gpointer deferred);
  static gboolean on_disconnect(gpointer self);
  static gboolean on_relisten(gpointer self);

  gboolean listen(GError **error);
  gboolean listen_for_keepalive(GError **error);
  void stop_listening();
  std::unique_ptr<Request> begin(SoupServerMessage *msg, const char *path);
  void route(Request &request);
  void load_body(Request &request);
  void record_unseen(SoupServerMessage *msg, unsigned status, const char *why);
  bool drop_connection(Request &request);
  void respond(Request &request);
  void handle_schema(Request &request);
  void handle_session_start(Request &request);
  void handle_event(Request &request);
  void refuse(Request &request, unsigned status, const std::string &error,
              const SchemaViolation *violation = nullptr, bool with_body = true);
  void finish(Request &request);
  void defer(std::unique_ptr<Request> request, int64_t ms);
  void forget_deferred(SoupServerMessage *msg, const char *why,
                       const char *fault = nullptr);
  void refuse_connections();
  void record_closed(const ClosedSession &closed);
  void expire_sessions(int64_t now_us);

  ServerOptions options_;
  Record &record_;
  SessionStore store_;
  FaultPlan faults_;
  ConnectionReaper reaper_;
  SoupServer *soup_ = nullptr;
  GTlsCertificate *certificate_ = nullptr;  // https: ours; else null
  std::unique_ptr<TlsAcceptor> tls_;        // https: while listening
  std::string url_;
  unsigned port_ = 0;
  int64_t requests_ = 0;  // requests recorded, for the connection faults
  std::map<SoupServerMessage *, std::unique_ptr<Deferred>> deferred_;
  guint tick_source_ = 0;
  guint disconnect_source_ = 0;
  guint relisten_source_ = 0;
};

}  // namespace collector
