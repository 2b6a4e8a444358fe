// See sanitize.h.
#include "sanitize.h"

#include <glib.h>

#include <algorithm>

#include "utf8.h"

namespace mediaanalytics {
namespace {

// One character of the input: an invalid byte is one of its own, U+FFFD.
struct Character {
  gunichar code_point;
  std::size_t length;      // the input bytes it takes
  std::string_view bytes;  // what goes to the output when it is kept
};

Character character_at(std::string_view text, std::size_t at) {
  const Utf8Char c = utf8_char_at(text, at);
  if (c.length == 0) {
    return {0xFFFD, 1, kReplacementCharacter};
  }
  return {c.code_point, c.length, text.substr(at, c.length)};
}

// Tab, line feed, vertical tab, form feed, carriage return: they separate
// words, so a title with a line break still reads as two words.
bool separates_words(gunichar c) {
  return c >= 0x09 && c <= 0x0D;
}

// C0 controls, DEL and C1 controls.
bool is_control(gunichar c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F);
}

// What GUri takes for a URI: scheme, host, port and path, without userinfo,
// query and fragment. False when GUri refuses it, and when it finds no
// authority: it reads "user:pw@host/path" as the scheme "user" and the path
// "pw@host/path", which would keep the password.
bool join_without_secrets(const std::string &uri, std::string *out) {
  g_autoptr(GUri) parsed = g_uri_parse(uri.c_str(), G_URI_FLAGS_ENCODED, nullptr);
  // GUri ends the userinfo at the first '@' and leaves any later one in the
  // host ("http://user:p@ss@host/" has the host "ss@host"), where clients end
  // it at the last: such a host still holds part of the password.
  if (parsed == nullptr || g_uri_get_host(parsed) == nullptr ||
      std::string_view(g_uri_get_host(parsed)).find('@') != std::string_view::npos) {
    return false;
  }
  g_autofree char *joined = g_uri_join(
      G_URI_FLAGS_ENCODED, g_uri_get_scheme(parsed), nullptr, g_uri_get_host(parsed),
      g_uri_get_port(parsed), g_uri_get_path(parsed), nullptr, nullptr);
  *out = joined;
  return true;
}

// The same for what GUri refuses, by hand and erring on the side of removing
// too much. The authority starts after a "//" that comes before any other '/'
// ("user:pw@host/path" without one starts with it) and ends at the next '/';
// everything up to its last '@' goes, even past a '?' or '#' (a password
// with one of them unescaped must not be half kept). Then everything from
// the first '?' or '#' goes.
std::string cut_without_secrets(std::string_view uri) {
  const std::size_t first_slash = uri.find('/');
  const std::size_t authority =
      first_slash != std::string_view::npos && uri.compare(first_slash, 2, "//") == 0
          ? first_slash + 2
          : 0;
  const std::size_t path = uri.find('/', authority);
  const std::size_t at = uri.substr(authority, path - authority).rfind('@');
  std::string kept(uri.substr(0, authority));
  if (at == std::string_view::npos) {
    kept.append(uri.substr(authority));
  } else {
    kept.append(uri.substr(authority + at + 1));
  }
  kept.erase(std::min(kept.find_first_of("?#"), kept.size()));
  return kept;
}

}  // namespace

std::string sanitize_text(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  // out's length up to its last character that is not white space: what is
  // left once the trailing white space is trimmed.
  std::size_t content_end = 0;
  for (std::size_t at = 0; at < text.size();) {
    Character c = character_at(text, at);
    at += c.length;
    if (separates_words(c.code_point)) {
      c.code_point = ' ';
      c.bytes = " ";
    } else if (is_control(c.code_point)) {
      continue;
    }
    const bool space = g_unichar_isspace(c.code_point);
    if (space && out.empty()) {
      continue;  // leading white space
    }
    if (out.size() + c.bytes.size() > max_bytes) {
      break;  // the first character that does not fit ends the text
    }
    out.append(c.bytes);
    if (!space) {
      content_end = out.size();
    }
  }
  out.resize(content_end);
  return out;
}

std::string sanitize_uri(std::string_view uri) {
  // Control characters go before the credentials are looked for: removed
  // after, they could join "/\x01/" into the "//" of an authority whose
  // "user:pw@" nobody looked at ("rtsp:/\x01/user:pw@host/"). The NULs go
  // too, so GUri reads the whole text.
  const std::string text = sanitize_text(uri, std::string::npos);
  std::string without_secrets;
  if (!join_without_secrets(text, &without_secrets)) {
    without_secrets = cut_without_secrets(text);
  }
  return sanitize_text(without_secrets);
}

}  // namespace mediaanalytics
