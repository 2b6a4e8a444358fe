// Accepts the collector's https connections and does their TLS handshake,
// then hands them to the SoupServer as plain streams.
//
// Why not the SoupServer's own https listener: libsoup 3.2 (with
// glib-networking 2.74) runs the server's handshake in a thread that nothing
// interrupts, and closing the server waits for it. A client that connects
// and sends nothing (or half a ClientHello) kept the collector from stopping,
// or from refusing connections as a fault, until that client left. Here every
// accept and handshake shares a cancellable that the destructor cancels.
//
// Single-threaded: everything runs in the thread-default main context of the
// thread that calls start().
#pragma once

#include <gio/gio.h>

#include <functional>
#include <memory>

namespace collector {

class TlsAcceptor {
 public:
  // Called with each connection whose handshake succeeded, and its peer.
  using Serve = std::function<void(GIOStream *tls, GSocketAddress *peer)>;

  // Accepts on `socket` (bound and listening) with `certificate`; nullptr
  // with `error` set when it cannot.
  static std::unique_ptr<TlsAcceptor> start(GSocket *socket, GTlsCertificate *certificate,
                                            Serve serve, GError **error);

  // Stops accepting, closes the listening socket and abandons the handshakes
  // in progress (their connections are closed); served connections are the
  // SoupServer's.
  ~TlsAcceptor();
  TlsAcceptor(const TlsAcceptor &) = delete;
  TlsAcceptor &operator=(const TlsAcceptor &) = delete;

 private:
  struct Pending;

  TlsAcceptor(GTlsCertificate *certificate, Serve serve);
  void accept_next();
  static void on_accepted(GObject *source, GAsyncResult *result, gpointer data);
  static void on_handshake(GObject *source, GAsyncResult *result, gpointer data);

  GSocketListener *const listener_;
  GTlsCertificate *const certificate_;
  GCancellable *const cancellable_;
  const Serve serve_;
};

}  // namespace collector
