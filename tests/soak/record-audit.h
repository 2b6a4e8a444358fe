// The collector's record read while the soak runs: every request and every
// session closure written since the last look must be clean (no finding, an
// answer that is a success or an injected fault), and the totals the soak
// reports (requests, accepted events, faults) are counted on the way.
#pragma once

#include "collector-process.h"

#include <cstdint>
#include <string>
#include <vector>

namespace soak {

struct RecordTotals {
  uint64_t requests = 0;
  uint64_t accepted = 0;   // 201 to a sessionStart, 204 to an event
  uint64_t faults = 0;     // requests an injected fault answered
  uint64_t abandoned = 0;  // no answer: the client gave up (a stop's flush)
  uint64_t sessions = 0;   // session-closed lines
};

class RecordAudit {
 public:
  // `kept` null: a finding fails the test at once. Otherwise findings are
  // printed (with their session's timeline) and added to `kept` ("steps: code
  // on eventType"), and the soak goes on: a long run then tells every kind
  // of finding it met, and fails at its end.
  RecordAudit(const collector_test::Collector &c, std::vector<std::string> *kept)
      : path_(c.record_path()), kept_(kept) {}

  // Checks the complete lines written since the last call; `steps` ("steps
  // 120-139") goes into the failure message.
  void check_new_lines(const std::string &steps);
  // After the collector stopped (its sessions closed as "collector-shutdown"):
  // the rest of the record. `tail_dropped`: the element dropped events when
  // it stopped, so a session may have been cut before its closing events and
  // be left open (left-open-at-end at shutdown is then expected).
  void check_end(const std::string &steps, bool tail_dropped);

  const RecordTotals &totals() const { return totals_; }

 private:
  void check_line(const collector_test::Line &line, const std::string &steps,
                  bool tail_dropped);
  void found(const collector_test::Line &line, const std::string &steps,
             const char *what);

  std::string path_;
  std::vector<std::string> *kept_;
  size_t seen_ = 0;  // lines checked
  RecordTotals totals_;
};

}  // namespace soak
