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

#include "error-id.h"

#include <gio/gio.h>
#include <gst/gst.h>

namespace mediaanalytics {

namespace {

struct KnownDomain {
  GQuark quark;
  const char *prefix;
  GType enum_type;
  bool external;
};

// Ids must stay within ^[a-z0-9.-]+$ whatever a library names its quark.
std::string sanitized(const char *text) {
  std::string out(text);
  for (char &c : out) {
    c = g_ascii_tolower(c);
    if (!g_ascii_isalnum(c) && c != '-') {
      c = '-';
    }
  }
  return out;
}

// The enum's own nick, so that the ids follow GStreamer's and GIO's names
// instead of a table of ours; "" for a code the enum does not have.
std::string nick_of(GType enum_type, int code) {
  auto *klass = static_cast<GEnumClass *>(g_type_class_ref(enum_type));
  const GEnumValue *value = g_enum_get_value(klass, code);
  std::string nick;
  // GStreamer's enums end with a count, which no element raises as an error.
  if (value != nullptr && g_strcmp0(value->value_nick, "num-errors") != 0) {
    nick = sanitized(value->value_nick);
  }
  g_type_class_unref(klass);
  return nick;
}

}  // namespace

ErrorIdentity error_identity(const GError *error) {
  if (error == nullptr) {
    return {"unknown", "player"};
  }
  const KnownDomain known[] = {
      {GST_CORE_ERROR, "core", GST_TYPE_CORE_ERROR, false},
      {GST_LIBRARY_ERROR, "library", GST_TYPE_LIBRARY_ERROR, false},
      {GST_RESOURCE_ERROR, "resource", GST_TYPE_RESOURCE_ERROR, true},
      {GST_STREAM_ERROR, "stream", GST_TYPE_STREAM_ERROR, false},
      {G_IO_ERROR, "gio", G_TYPE_IO_ERROR_ENUM, true},
      {G_RESOLVER_ERROR, "resolver", G_TYPE_RESOLVER_ERROR, true},
      {G_TLS_ERROR, "tls", G_TYPE_TLS_ERROR, true},
  };
  for (const KnownDomain &domain : known) {
    if (error->domain == domain.quark) {
      std::string nick = nick_of(domain.enum_type, error->code);
      return {std::string(domain.prefix) + "." +
                  (nick.empty() ? std::to_string(error->code) : nick),
              domain.external ? "external" : "player"};
    }
  }
  const char *quark = g_quark_to_string(error->domain);
  if (quark == nullptr) {
    return {"unknown." + std::to_string(error->code), "player"};
  }
  // libsoup's session and message errors are network failures.
  const bool external = g_str_has_prefix(quark, "soup");
  return {sanitized(quark) + "." + std::to_string(error->code),
          external ? "external" : "player"};
}

}  // namespace mediaanalytics
