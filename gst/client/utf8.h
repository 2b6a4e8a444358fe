// One character of a byte string that may or may not be UTF-8: what the
// request bodies (json-writer.cpp) and the stream's strings (sanitize.cpp)
// both need to decide, with the same rule.
#pragma once

#include <glib.h>

#include <cstddef>
#include <string_view>

namespace mediaanalytics {

// U+FFFD REPLACEMENT CHARACTER in UTF-8: what an invalid byte becomes.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

struct Utf8Char {
  gunichar code_point;
  // Its bytes; 0 when the bytes at that place are not UTF-8.
  std::size_t length;
};

// The character that starts at text[at] (at < text.size()). Not UTF-8, so of
// length 0: a stray continuation byte, an overlong form, a surrogate, a code
// point beyond U+10FFFF, a sequence cut short by the end of the text or with
// a NUL inside. Skipping one byte of such and trying again replaces each of
// them as g_utf8_make_valid() does. A NUL on its own is the character U+0000.
inline Utf8Char utf8_char_at(std::string_view text, std::size_t at) {
  const unsigned char first = static_cast<unsigned char>(text[at]);
  if (first < 0x80) {
    return {first, 1};
  }
  const gunichar decoded =
      g_utf8_get_char_validated(text.data() + at, static_cast<gssize>(text.size() - at));
  // (gunichar)-1 (invalid) and -2 (incomplete) are above any code point.
  if (decoded > 0x10FFFF) {
    return {0, 0};
  }
  return {decoded, static_cast<std::size_t>(g_utf8_skip[first])};
}

}  // namespace mediaanalytics
