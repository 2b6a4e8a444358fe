#include "connection-reaper.h"

namespace collector {

// A readable socket whose next read would return end-of-stream, or one in
// error or hung up, or one already closed (by the reaper: a request held on a
// keep-alive connection whose peer left is no longer answerable).
bool peer_has_closed(GSocket *socket) {
  if (g_socket_is_closed(socket))
    return true;
  GIOCondition condition = g_socket_condition_check(
      socket, static_cast<GIOCondition>(G_IO_IN | G_IO_HUP | G_IO_ERR));
  if (condition & (G_IO_HUP | G_IO_ERR))
    return true;
  if (!(condition & G_IO_IN))
    return false;
  char byte;
  GInputVector vector = {&byte, 1};
  gint flags = G_SOCKET_MSG_PEEK;
  gssize n = g_socket_receive_message(socket, nullptr, &vector, 1, nullptr, nullptr,
                                      &flags, nullptr, nullptr);
  return n == 0;
}

ConnectionReaper::~ConnectionReaper() {
  for (GSocket *socket : sockets_)
    g_object_unref(socket);
}

void ConnectionReaper::watch(GSocket *socket) {
  if (socket && sockets_.insert(socket).second)
    g_object_ref(socket);
}

void ConnectionReaper::reap() {
  for (auto it = sockets_.begin(); it != sockets_.end();) {
    GSocket *socket = *it;
    if (!g_socket_is_closed(socket) && !peer_has_closed(socket)) {
      ++it;
      continue;
    }
    if (!g_socket_is_closed(socket))
      g_socket_close(socket, nullptr);
    g_object_unref(socket);
    it = sockets_.erase(it);
  }
}

}  // namespace collector
