// A compact JSON text written straight into a string.
//
// The sender's thread writes one request body per event. Through json-glib
// (a JsonBuilder tree, then a JsonGenerator) a body costs about 50,000
// instructions and some 40 allocations; written directly it costs a small
// fraction of that (docs/performance.md, P4). json-glib stays the reference:
// event_to_json() builds the same body as a JsonNode through the same code
// (see event.cpp), and the tests check that both texts are equal.
//
// The text is json-glib's compact form: no spaces; doubles as "%.17g" with
// ".0" appended when that has no '.' (nor an exponent, where json-glib's
// "1e+17.0" would not be JSON), integers in decimal. Strings are
// escaped as RFC 8259 requires (the quote, the backslash and every control
// character below U+0020; \b \f \n \r \t by name, the others as \u00XX; DEL
// as \u007f as json-glib does); valid UTF-8 is copied as it is, and each byte
// that starts no valid UTF-8 sequence becomes U+FFFD (g_utf8_make_valid()'s
// rule), so that the text is valid JSON whatever bytes a string holds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mediaanalytics {

class JsonWriter {
 public:
  JsonWriter() { text_.reserve(256); }

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  // The member name of the next value, inside an object.
  void key(std::string_view name);

  void string_value(std::string_view value);
  void int_value(int64_t value);
  // A finite double (the caller checks, see wire_number() in event.h).
  void double_value(double value);
  void boolean_value(bool value);

  const std::string &text() const { return text_; }
  std::string take() { return std::move(text_); }

 private:
  void open(char bracket);
  void close(char bracket);
  // A comma before a member or an array element that follows another.
  void separate();
  void append_escaped(std::string_view value);

  std::string text_;
  bool first_ = true;  // nothing written yet at the current level
};

}  // namespace mediaanalytics
