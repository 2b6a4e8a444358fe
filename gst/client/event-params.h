// Checks what an application gives for an event before anything is sent.
//
// The back end checks params exactly (spec §2, §17: exact JSON types, no
// unknown keys), and a request it rejects is lost, so the element checks the
// values of ad-break-start, ad-start, chapter-start and track-error (issue 5)
// here first and refuses the call with a message that says why. Plain C++: no
// GStreamer, no JSON.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <variant>

#include "event.h"

namespace mediaanalytics {

// Why a value was refused.
struct ParamProblem {
  // The key at fault, as given (or the expected key when it is missing).
  std::string key;
  // One sentence that names the key in quotes and says why, e.g.
  // "'media.ad.podPosition' must be an integer of at least 1 (the ad's
  // position in its break, from 1), not 0".
  std::string message;
};

// Checks `params` for an event of `type` and returns them normalized, or the
// first problem.
//
// adBreakStart (§9.5), adStart (§9.6, §9.7), chapterStart (§9.8) and error
// (§9.9) are checked against the spec's keys for that event:
// * every required key is present;
// * no other key: the schemas are closed, so a typo such as "media.ad.lenght"
//   is refused, with a "did you mean" when a known key is close, or the event
//   the key belongs to when it is another event's;
// * JSON types: a string key takes a std::string; an integer key an int64_t
//   (not a double, even a whole one); a number key a double or an int64_t;
//   never a bool;
// * ranges: lengths, offsets, podSecond and podIndex at least 0, podPosition
//   and chapter.index at least 1, numbers finite and sendable (wire_number());
//   media.ad.id, media.ad.playerName and media.errorId not empty;
//   media.errorSource "player" or "external".
// Every other event type takes no params from the application, so any key is
// a problem (the first one is named): statesUpdate carries its states in
// Event::states_start/states_end, and sessionStart's params are built by the
// element from its own properties, not checked here.
//
// Unknown keys are reported first, in the order given: a mistyped required key
// would otherwise be reported as missing, which hides the typo. Then the
// spec's keys are checked in the order of its table, and the normalized params
// hold them in that order too (so the body does not depend on how the caller
// ordered them), with every integer given for a number turned into a double.
std::variant<Params, ParamProblem> check_event_params(EventType type,
                                                      const Params &params);

// Checks custom metadata (§10) for sessionStart, adStart or chapterStart:
// keys match ^[a-zA-Z0-9_.]+$, start with neither of the reserved prefixes "a."
// and "media.", and appear once each, and there are at most
// kMaxCustomMetadataKeys of them. Values are strings by type and any string
// will do. Returns the first problem, in the order given, or nothing.
std::optional<ParamProblem> check_custom_metadata(const CustomMetadata &custom);

// §10 sets no limit; this one bounds runaway input (an application filling the
// map in a loop) so that each start event stays a small request.
inline constexpr std::size_t kMaxCustomMetadataKeys = 100;

}  // namespace mediaanalytics
