// What an application hands over in a GstStructure (the action signals and
// the custom events of the application API), as the client's plain values.
#pragma once

#include <gst/gst.h>

#include <string>
#include <variant>

#include "event-params.h"
#include "event.h"

namespace mediaanalytics {

// The fields of `structure` as params: strings stay strings, every integer
// GType becomes an int64_t, float and double a double, gboolean a bool; the
// fields named in `skip` (NULL-terminated, may be NULL) are left out. Another
// type is a problem naming the field. The names are the wire keys
// ("media.ad.id"): GstStructure field names allow the dots.
std::variant<Params, ParamProblem> structure_to_params(const GstStructure *structure,
                                                       const char *const *skip = nullptr);

// Custom metadata (spec §10) from `structure`: every field must be a string.
// NULL gives none.
std::variant<CustomMetadata, ParamProblem> structure_to_custom(
    const GstStructure *structure);

}  // namespace mediaanalytics
