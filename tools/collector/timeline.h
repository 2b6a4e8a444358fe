// Prints a collector record (record.h) as one readable timeline per session:
// time since the session started, playhead, event type, status, key params,
// and the findings and rejections beside the events they concern.
#pragma once

#include <glib.h>

#include <cstdio>
#include <string>

namespace collector {

// FALSE with `error` set when the record cannot be read; lines that are not
// record entries are skipped.
gboolean print_timeline(const std::string &record_path, FILE *out, GError **error);

}  // namespace collector
