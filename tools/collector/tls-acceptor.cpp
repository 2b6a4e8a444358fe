#include "tls-acceptor.h"

#include <utility>

namespace collector {

// One accept, then one handshake. Its callbacks may run after the acceptor is
// gone: they look at the cancellable (which they hold) before the acceptor.
struct TlsAcceptor::Pending {
  TlsAcceptor *const acceptor;
  GCancellable *const cancellable;
  GIOStream *tls = nullptr;
  GSocketAddress *peer = nullptr;

  explicit Pending(TlsAcceptor *a)
      : acceptor(a), cancellable(G_CANCELLABLE(g_object_ref(a->cancellable_))) {}
  ~Pending() {
    g_clear_object(&peer);
    g_clear_object(&tls);
    g_object_unref(cancellable);
  }
  Pending(const Pending &) = delete;
  Pending &operator=(const Pending &) = delete;

  bool abandoned() const { return g_cancellable_is_cancelled(cancellable); }
};

std::unique_ptr<TlsAcceptor> TlsAcceptor::start(GSocket *socket,
                                                GTlsCertificate *certificate, Serve serve,
                                                GError **error) {
  std::unique_ptr<TlsAcceptor> acceptor(new TlsAcceptor(certificate, std::move(serve)));
  if (!g_socket_listener_add_socket(acceptor->listener_, socket, nullptr, error))
    return nullptr;
  acceptor->accept_next();
  return acceptor;
}

TlsAcceptor::TlsAcceptor(GTlsCertificate *certificate, Serve serve)
    : listener_(g_socket_listener_new()),
      certificate_(G_TLS_CERTIFICATE(g_object_ref(certificate))),
      cancellable_(g_cancellable_new()),
      serve_(std::move(serve)) {}

TlsAcceptor::~TlsAcceptor() {
  g_cancellable_cancel(cancellable_);
  g_socket_listener_close(listener_);
  g_object_unref(listener_);
  g_object_unref(certificate_);
  g_object_unref(cancellable_);
}

void TlsAcceptor::accept_next() {
  g_socket_listener_accept_async(listener_, cancellable_, on_accepted, new Pending(this));
}

void TlsAcceptor::on_accepted(GObject *source, GAsyncResult *result, gpointer data) {
  std::unique_ptr<Pending> pending(static_cast<Pending *>(data));
  g_autoptr(GSocketConnection) connection = g_socket_listener_accept_finish(
      G_SOCKET_LISTENER(source), result, nullptr, nullptr);
  if (pending->abandoned())
    return;
  TlsAcceptor *self = pending->acceptor;
  self->accept_next();
  if (!connection)
    return;
  pending->tls =
      g_tls_server_connection_new(G_IO_STREAM(connection), self->certificate_, nullptr);
  pending->peer = g_socket_connection_get_remote_address(connection, nullptr);
  if (!pending->tls)
    return;
  g_tls_connection_handshake_async(G_TLS_CONNECTION(pending->tls), G_PRIORITY_DEFAULT,
                                   pending->cancellable, on_handshake, pending.get());
  pending.release();
}

void TlsAcceptor::on_handshake(GObject *source, GAsyncResult *result, gpointer data) {
  std::unique_ptr<Pending> pending(static_cast<Pending *>(data));
  // A failed handshake (the client refused our certificate, or left) is the
  // client's business: its connection is closed with `pending`.
  if (!g_tls_connection_handshake_finish(G_TLS_CONNECTION(source), result, nullptr) ||
      pending->abandoned())
    return;
  pending->acceptor->serve_(pending->tls, pending->peer);
}

}  // namespace collector
