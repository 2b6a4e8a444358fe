// Closes client connections that libsoup 3.2's server has lost track of.
//
// When a client closes an idle keep-alive connection, libsoup 3.2's server
// never notices (fixed upstream in 3.3): the socket stays half-closed, one file
// descriptor each, for the life of the process. A collector that serves a
// client opening a connection per event would run out of descriptors. The
// reaper remembers the socket of every answered request and closes those whose
// peer has gone and that hold no unread request.
#pragma once

#include <gio/gio.h>

#include <unordered_set>

namespace collector {

// True when the peer has closed the connection and nothing is left to read.
bool peer_has_closed(GSocket *socket);

class ConnectionReaper {
 public:
  ConnectionReaper() = default;
  ~ConnectionReaper();
  ConnectionReaper(const ConnectionReaper &) = delete;
  ConnectionReaper &operator=(const ConnectionReaper &) = delete;

  // Watches the socket of a connection a request was answered on.
  void watch(GSocket *socket);
  // Closes the watched sockets whose peer has closed its side, and forgets
  // those that are closed.
  void reap();

 private:
  std::unordered_set<GSocket *> sockets_;  // each holds a reference
};

}  // namespace collector
