// The collector's sessions: creation with fresh opaque ids, lookup, and the
// back end's expiry rules (spec §4.3). Time is passed in (monotonic µs), never
// read here, so expiry is tested without waiting.
#pragma once

#include "session-checker.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace collector {

struct ExpiryOptions {
  // No event of any kind for this long closes a session (spec: 10 minutes).
  int64_t idle_us = int64_t{600} * G_USEC_PER_SEC;
  // Playhead unchanged for this long closes a session (spec: 30 minutes).
  int64_t stalled_us = int64_t{1800} * G_USEC_PER_SEC;
  // Fault injection: close every session this long after it opened; 0 = never.
  int64_t forced_us = 0;
  // Fault injection: forget every session this long after it opened, as a
  // server that restarted and lost it (later requests to it find no session:
  // 404, where a closed one answers 410); 0 = never.
  int64_t forget_us = 0;
};

enum class CloseReason { kSessionEnd, kIdle, kStalled, kForced, kForgotten, kShutdown };
const char *close_reason_name(CloseReason reason);

struct Session {
  std::string id;
  SessionChecker checker;
  int64_t opened_us = 0;
  int64_t last_event_us = 0;
  int64_t last_move_us = 0;
  bool have_playhead = false;
  double playhead = 0;
  std::optional<CloseReason> closed;

  Session(std::string session_id, const CheckerOptions &checks, int64_t now_us);
};

// A session that closed by itself, with what its checker found left open.
struct ClosedSession {
  std::string id;
  CloseReason reason;
  std::vector<Finding> findings;
};

class SessionStore {
 public:
  SessionStore(const ExpiryOptions &expiry, const CheckerOptions &checks);

  // Opens a session and returns it; its id is fresh and opaque.
  Session &open(int64_t now_us);
  // The session with this id, open or closed, or nullptr if never known (or
  // forgotten). Call expire() first, so that a session past its limits is
  // found closed (or forgotten).
  Session *find(const std::string &id);
  // Records that an accepted event with this playhead arrived.
  void touch(Session &session, std::optional<double> playhead, int64_t now_us);
  // Closes what has passed its limits; returns those sessions.
  std::vector<ClosedSession> expire(int64_t now_us);
  // Closes every open session (the collector is stopping).
  std::vector<ClosedSession> close_all(CloseReason reason);
  // Closes one session now (a sessionEnd arrived).
  ClosedSession close(Session &session, CloseReason reason);

 private:
  std::optional<CloseReason> due(const Session &session, int64_t now_us) const;

  ExpiryOptions expiry_;
  CheckerOptions checks_;
  std::map<std::string, std::unique_ptr<Session>> sessions_;
};

}  // namespace collector
