// See fuzz-support.h.
#include "fuzz-support.h"

#include <glib.h>

#include <cstdio>
#include <cstdlib>

namespace fuzz {

namespace {

// Enough of the text to see what went wrong without flooding the log.
constexpr std::size_t kShownBytes = 2048;

// Printable ASCII as it is, every other byte (NUL included) as \xNN.
std::string escaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
      out.push_back(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", byte);
      out.append(hex);
    }
  }
  return out;
}

}  // namespace

void fail(const char *invariant, std::string_view detail) {
  std::fprintf(stderr, "FUZZ INVARIANT BROKEN: %s\n  %s%s\n", invariant,
               escaped(detail.substr(0, kShownBytes)).c_str(),
               detail.size() > kShownBytes ? " [...]" : "");
  std::abort();
}

bool is_utf8(std::string_view text) {
  return g_utf8_validate_len(text.data(), text.size(), nullptr);
}

bool parses_as_json(std::string_view text, std::string *error) {
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GError) parse_error = nullptr;
  if (json_parser_load_from_data(parser, text.data(), static_cast<gssize>(text.size()),
                                 &parse_error))
    return true;
  if (error)
    *error = parse_error->message;
  return false;
}

std::string first_difference(std::string_view a, std::string_view b) {
  std::size_t at = 0;
  while (at < a.size() && at < b.size() && a[at] == b[at])
    at++;
  const std::size_t from = at > 40 ? at - 40 : 0;
  return "at byte " + std::to_string(at) + " of " + std::to_string(a.size()) + " / " +
         std::to_string(b.size()) + ": \"" + std::string(a.substr(from, 120)) +
         "\" / \"" + std::string(b.substr(from, 120)) + "\"";
}

std::string json_glib_text(JsonNode *node) {
  g_autoptr(JsonGenerator) generator = json_generator_new();
  json_generator_set_root(generator, node);
  gsize length = 0;
  g_autofree gchar *text = json_generator_to_data(generator, &length);
  // json-glib 1.6 escapes the control characters below U+001F but writes
  // U+001F itself as it is, which RFC 8259 forbids in a string (and the
  // client's writer escapes). U+001F can only be inside a string here.
  std::string fixed;
  for (const char *c = text; c < text + length; c++)
    fixed += *c == '\x1f' ? std::string("\\u001f") : std::string(1, *c);
  return fixed;
}

std::string StringCutter::next() {
  std::string out;
  std::size_t at = 0;
  for (; at < rest_.size(); at++) {
    const char c = rest_[at];
    if (c == '\\' && at + 1 < rest_.size()) {
      at++;
      if (rest_[at] != '\\') {
        at++;
        break;
      }
    }
    out.push_back(c);
  }
  rest_.remove_prefix(at);
  return out;
}

uint8_t StringCutter::next_byte() {
  if (rest_.empty())
    return 0;
  const auto byte = static_cast<uint8_t>(rest_.front());
  rest_.remove_prefix(1);
  return byte;
}

}  // namespace fuzz
