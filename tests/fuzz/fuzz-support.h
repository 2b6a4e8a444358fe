// What the fuzz targets share: invariant checks that stop the run with a
// message (libFuzzer then keeps the input that broke them), the judges of
// JSON and UTF-8, and a way to cut one input into several strings.
#pragma once

#include <json-glib/json-glib.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fuzz {

// Prints what broke and the text involved (escaped, cut), then aborts: a
// crash for libFuzzer, which writes the input to its artifact file.
[[noreturn]] void fail(const char *invariant, std::string_view detail);

inline void require(bool holds, const char *invariant, std::string_view detail = {}) {
  if (!holds)
    fail(invariant, detail);
}

bool is_utf8(std::string_view text);

// Whether json-glib's parser accepts `text`; its message otherwise.
bool parses_as_json(std::string_view text, std::string *error = nullptr);

// Where two texts first differ, with some context from each: what a failed
// comparison reports.
std::string first_difference(std::string_view a, std::string_view b);

// json-glib's compact text of `node`: the reference the client's JsonWriter is
// held to (with json-glib 1.6's one escaping bug, a raw U+001F, corrected).
std::string json_glib_text(JsonNode *node);

// Takes strings off the front of an input the way libFuzzer's
// FuzzedDataProvider::ConsumeRandomLengthString does (so that the mutator's
// byte edits move string boundaries): a backslash followed by another ends in
// one backslash, a backslash followed by anything else ends the string (both
// bytes are consumed). Any byte, NUL included, can be inside a string.
class StringCutter {
 public:
  StringCutter(const uint8_t *data, std::size_t size)
      : rest_(reinterpret_cast<const char *>(data), size) {}

  bool empty() const { return rest_.empty(); }
  std::string next();
  // One byte as a number (0 once the input is used up).
  uint8_t next_byte();

 private:
  std::string_view rest_;
};

}  // namespace fuzz
