// The playhead when nobody downstream can say what is being presented.
//
// The element asks downstream (a position query, answered by the sink from
// its clock) wherever it may; in a bus sync handler or on a seek it may not
// (the posting thread can hold any lock), so it estimates from what it saw:
// the latest answer, moved on by the time since then at the segment's rate,
// but never past the end of the latest data that passed the element (nothing
// later can be on screen yet).
#pragma once

#include <cstdint>
#include <optional>

namespace mediaanalytics {

// A position downstream answered, in stream seconds, and when (monotonic µs).
struct PositionSample {
  double position_s = 0.0;
  int64_t at_us = 0;
};

// The latest data that passed the element: its stream time and the end of it
// (start + duration; the start when the duration is unknown), in seconds, and
// when it passed (monotonic µs).
struct DataSeen {
  double start_s = 0.0;
  double end_s = 0.0;
  int64_t at_us = 0;
};

struct PlayheadInputs {
  std::optional<PositionSample> sample;  // only one taken in the current segment
  std::optional<DataSeen> data;          // in the current segment
  double rate = 1.0;                     // segment rate × applied rate
  bool advancing = false;                // playing, not paused, stalled or seeking
};

// The estimate at `now_us`, in stream seconds (0 when nothing is known): the
// sample moved on by rate × elapsed while advancing, else the data's start
// moved on the same way; for a forward rate never beyond the data's end, for
// a reverse rate never before its start.
double estimate_playhead(const PlayheadInputs &in, int64_t now_us);

}  // namespace mediaanalytics
