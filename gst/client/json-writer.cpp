#include "json-writer.h"

#include <charconv>
#include <cstring>

#include "utf8.h"

namespace mediaanalytics {

void JsonWriter::open(char bracket) {
  separate();
  text_.push_back(bracket);
  first_ = true;
}

void JsonWriter::close(char bracket) {
  text_.push_back(bracket);
  first_ = false;
}

void JsonWriter::separate() {
  if (!first_) {
    text_.push_back(',');
  }
  first_ = true;
}

void JsonWriter::key(std::string_view name) {
  separate();
  append_escaped(name);
  text_.push_back(':');
}

void JsonWriter::string_value(std::string_view value) {
  separate();
  append_escaped(value);
  first_ = false;
}

void JsonWriter::int_value(int64_t value) {
  separate();
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof digits, value);
  text_.append(digits, result.ptr);
  first_ = false;
}

void JsonWriter::double_value(double value) {
  separate();
  // std::to_chars is printf's "%.17g" without the locale: the decimal point
  // is always '.'.
  char digits[32];
  const auto result = std::to_chars(digits, digits + sizeof digits, value,
                                    std::chars_format::general, 17);
  text_.append(digits, result.ptr);
  // json-glib marks a whole double with ".0"; after an exponent that would
  // not be JSON (json-glib writes "1e+17.0"), so there it is left out.
  const size_t length = static_cast<size_t>(result.ptr - digits);
  if (!memchr(digits, '.', length) && !memchr(digits, 'e', length)) {
    text_.append(".0");
  }
  first_ = false;
}

void JsonWriter::boolean_value(bool value) {
  separate();
  text_.append(value ? "true" : "false");
  first_ = false;
}

void JsonWriter::append_escaped(std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  text_.push_back('"');
  size_t plain = 0;  // start of the run of bytes copied as they are
  for (size_t i = 0; i < value.size(); i++) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c >= 0x80) {
      // A JSON text is UTF-8 (RFC 8259 §8.1): a valid sequence is copied,
      // each byte of an invalid one becomes U+FFFD, as g_utf8_make_valid()
      // makes it.
      const size_t length = utf8_char_at(value, i).length;
      if (length > 0) {
        i += length - 1;
        continue;
      }
      text_.append(value.data() + plain, i - plain);
      plain = i + 1;
      text_.append(kReplacementCharacter);
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
      continue;
    }
    text_.append(value.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"':
        text_.append("\\\"");
        break;
      case '\\':
        text_.append("\\\\");
        break;
      case '\b':
        text_.append("\\b");
        break;
      case '\f':
        text_.append("\\f");
        break;
      case '\n':
        text_.append("\\n");
        break;
      case '\r':
        text_.append("\\r");
        break;
      case '\t':
        text_.append("\\t");
        break;
      default:
        text_.append("\\u00");
        text_.push_back(kHex[c >> 4]);
        text_.push_back(kHex[c & 0xf]);
        break;
    }
  }
  text_.append(value.data() + plain, value.size() - plain);
  text_.push_back('"');
}

}  // namespace mediaanalytics
