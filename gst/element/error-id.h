/* GStreamer media analytics
 * Copyright (C) 2026 gst-mediaanalytics contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Lesser General Public License for more details.
 *
 * You should have received a copy of the GNU Lesser General Public
 * License along with this library; if not, write to the
 * Free Software Foundation, Inc., 51 Franklin St, Fifth Floor,
 * Boston, MA 02110-1301, USA.
 */

// What a GError becomes in the Collection API's error event: `media.errorId`
// and `media.errorSource`. The id is part of the reporting contract
// (dashboards group by it), so it is derived from the error's domain and code
// only, never from its message, which is translated and carries details such
// as file names. The scheme and every id are listed in docs/error-ids.md.

#pragma once

#include <glib.h>

#include <string>

namespace mediaanalytics {

struct ErrorIdentity {
  std::string id;      // media.errorId, matching ^[a-z0-9.-]+$
  const char *source;  // media.errorSource: "external" or "player"
};

// GStreamer's domains give "core.<nick>", "library.<nick>", "resource.<nick>"
// and "stream.<nick>", with the nick of the enum value (GST_STREAM_ERROR_DECODE
// is "stream.decode"); G_IO_ERROR, G_RESOLVER_ERROR and G_TLS_ERROR give
// "gio.<nick>", "resolver.<nick>" and "tls.<nick>". A code without a nick in
// those domains gives "<prefix>.<number>", e.g. "core.99"; any other domain
// "<domain quark>.<number>", e.g. "soup-session-error-quark.3", the quark
// lowercased with characters other than [a-z0-9-] made '-'. The *_NUM_ERRORS
// sentinels are not errors and have no nick here. NULL is "unknown".
//
// The source is "external" (network and resources, not the player's fault)
// for GST_RESOURCE_ERROR, G_IO_ERROR, G_RESOLVER_ERROR, G_TLS_ERROR and the
// domains whose quark starts with "soup"; "player" for everything else.
ErrorIdentity error_identity(const GError *error);

}  // namespace mediaanalytics
