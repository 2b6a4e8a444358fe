#include "session-store.h"

#include <glib.h>

#include <algorithm>

namespace collector {

const char *close_reason_name(CloseReason reason) {
  switch (reason) {
    case CloseReason::kSessionEnd:
      return "sessionEnd";
    case CloseReason::kIdle:
      return "expired-idle";
    case CloseReason::kStalled:
      return "expired-playhead-stalled";
    case CloseReason::kForced:
      return "expired-forced";
    case CloseReason::kForgotten:
      return "forgotten";
    case CloseReason::kShutdown:
      return "collector-shutdown";
  }
  return "unknown";
}

Session::Session(std::string session_id, const CheckerOptions &checks, int64_t now_us)
    : id(std::move(session_id)),
      checker(checks),
      opened_us(now_us),
      last_event_us(now_us),
      last_move_us(now_us) {}

SessionStore::SessionStore(const ExpiryOptions &expiry, const CheckerOptions &checks)
    : expiry_(expiry), checks_(checks) {}

Session &SessionStore::open(int64_t now_us) {
  // 64 hex characters like Adobe's sample id; clients must treat it as opaque.
  std::string id;
  do {
    g_autofree char *a = g_uuid_string_random();
    g_autofree char *b = g_uuid_string_random();
    id = std::string(a) + b;
    id.erase(std::remove(id.begin(), id.end(), '-'), id.end());
  } while (sessions_.count(id) != 0);
  auto session = std::make_unique<Session>(id, checks_, now_us);
  Session &ref = *session;
  sessions_.emplace(id, std::move(session));
  return ref;
}

Session *SessionStore::find(const std::string &id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second->closed == CloseReason::kForgotten)
    return nullptr;
  return it->second.get();
}

void SessionStore::touch(Session &session, std::optional<double> playhead,
                         int64_t now_us) {
  session.last_event_us = now_us;
  if (playhead && (!session.have_playhead || *playhead != session.playhead)) {
    session.have_playhead = true;
    session.playhead = *playhead;
    session.last_move_us = now_us;
  }
}

std::optional<CloseReason> SessionStore::due(const Session &session,
                                             int64_t now_us) const {
  if (expiry_.forced_us > 0 && now_us - session.opened_us >= expiry_.forced_us)
    return CloseReason::kForced;
  if (expiry_.forget_us > 0 && now_us - session.opened_us >= expiry_.forget_us)
    return CloseReason::kForgotten;
  if (now_us - session.last_event_us >= expiry_.idle_us)
    return CloseReason::kIdle;
  if (now_us - session.last_move_us >= expiry_.stalled_us)
    return CloseReason::kStalled;
  return std::nullopt;
}

ClosedSession SessionStore::close(Session &session, CloseReason reason) {
  session.closed = reason;
  return ClosedSession{session.id, reason, session.checker.close()};
}

std::vector<ClosedSession> SessionStore::expire(int64_t now_us) {
  std::vector<ClosedSession> closed;
  for (auto &entry : sessions_) {
    Session &session = *entry.second;
    if (session.closed)
      continue;
    if (auto reason = due(session, now_us))
      closed.push_back(close(session, *reason));
  }
  return closed;
}

std::vector<ClosedSession> SessionStore::close_all(CloseReason reason) {
  std::vector<ClosedSession> closed;
  for (auto &entry : sessions_) {
    if (!entry.second->closed)
      closed.push_back(close(*entry.second, reason));
  }
  return closed;
}

}  // namespace collector
