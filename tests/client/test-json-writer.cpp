// JsonWriter (gst/client/json-writer.h): the request bodies' text. json-glib
// is the judge: what the writer writes must parse back to the same values,
// and must be the text json-glib's own generator writes for them.

#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "json-writer.h"

using mediaanalytics::JsonWriter;

namespace {

// Compares two texts (fail_unless_equals_string() would keep pointers into
// temporaries).
void assert_same(const std::string &found, const std::string &expected) {
  fail_unless(found == expected, "wrote %s, expected %s", found.c_str(),
              expected.c_str());
}

// json-glib's compact text of `node` (consumed).
std::string generated(JsonNode *node) {
  g_autofree gchar *text = json_to_string(node, FALSE);
  json_node_unref(node);
  return text;
}

std::string written_string(const std::string &value) {
  JsonWriter w;
  w.begin_array();
  w.string_value(value);
  w.end_array();
  return w.take();
}

// The one string of a one-element array, parsed with json-glib.
std::string parsed_string(const std::string &text) {
  GError *error = nullptr;
  g_autoptr(JsonNode) node = json_from_string(text.c_str(), &error);
  fail_unless(node != nullptr, "not JSON (%s): %s", error ? error->message : "empty",
              text.c_str());
  JsonArray *array = json_node_get_array(node);
  fail_unless(array && json_array_get_length(array) == 1, "not one element: %s",
              text.c_str());
  return json_array_get_string_element(array, 0);
}

JsonNode *array_of(JsonNode *element) {
  JsonArray *array = json_array_new();
  json_array_add_element(array, element);
  JsonNode *node = json_node_new(JSON_NODE_ARRAY);
  json_node_take_array(node, array);
  return node;
}

}  // namespace

// Every byte from 1 to 127 and multi-byte UTF-8 survive the round trip
// through json-glib's parser.
GST_START_TEST(test_every_byte_round_trips) {
  std::string all;
  for (int c = 1; c < 128; c++) {
    all.push_back(static_cast<char>(c));
  }
  all += "é€😀";
  fail_unless(parsed_string(written_string(all)) == all, "round trip changed %s",
              written_string(all).c_str());
}
GST_END_TEST;

// No raw control character is left in the text (RFC 8259 §7), 0x1f and DEL
// included, and the named escapes are used where they exist.
GST_START_TEST(test_control_characters_escaped) {
  for (int c = 1; c < 0x20; c++) {
    const std::string text = written_string(std::string(1, static_cast<char>(c)));
    for (char t : text) {
      fail_if(static_cast<unsigned char>(t) < 0x20, "raw 0x%02x in %s", c, text.c_str());
    }
  }
  assert_same(written_string("\b\f\n\r\t"), R"(["\b\f\n\r\t"])");
  assert_same(written_string("\x1f\x7f\x01"), R"(["\u001f\u007f\u0001"])");
  assert_same(written_string("a\"b\\c/"), R"(["a\"b\\c/"])");
}
GST_END_TEST;

// Strings as json-glib writes them (0x1f aside, which json-glib 1.6 leaves
// raw, against RFC 8259).
GST_START_TEST(test_strings_as_json_glib) {
  const char *samples[] = {"",
                           "plain",
                           "quote \" and \\ backslash",
                           "tab\tnew\nline",
                           "bell\x07 del\x7f",
                           "Fußball – 1080p 😀",
                           "{\"json\":[1]}"};
  for (const char *sample : samples) {
    JsonNode *node = json_node_new(JSON_NODE_VALUE);
    json_node_set_string(node, sample);
    assert_same(written_string(sample), generated(array_of(node)));
  }
}
GST_END_TEST;

// A JSON text is UTF-8 (RFC 8259 §8.1): each byte that starts no valid
// sequence becomes U+FFFD, as g_utf8_make_valid() has it, and the text parses.
GST_START_TEST(test_invalid_utf8_replaced) {
  const char *samples[] = {"\xFF",
                           "caf\xE9",
                           "cut \xE2\x82",
                           "stray \x80\xBF continuation",
                           "overlong \xC0\xAF slash",
                           "surrogate \xED\xA0\x80",
                           "beyond \xF4\x90\x80\x80 U+10FFFF",
                           "valid \xC3\xA9 then \xFE"};
  for (const char *sample : samples) {
    g_autofree gchar *valid = g_utf8_make_valid(sample, -1);
    fail_unless(parsed_string(written_string(sample)) == valid, "%s",
                written_string(sample).c_str());
  }
}
GST_END_TEST;

// One number in an array, written by `write` and by json-glib after `set`.
template <typename T>
void assert_number_as_json_glib(T value, void (JsonWriter::*write)(T),
                                void (*set)(JsonNode *, T)) {
  JsonWriter w;
  w.begin_array();
  (w.*write)(value);
  w.end_array();
  JsonNode *node = json_node_new(JSON_NODE_VALUE);
  set(node, value);
  assert_same(w.text(), generated(array_of(node)));
}

// Numbers as json-glib writes them: doubles with "%.17g" and ".0" when
// whole, integers in decimal, whatever the locale.
GST_START_TEST(test_numbers_as_json_glib) {
  const double doubles[] = {0.0,  1.0,     -2.5,        0.1,
                            1e-4, 12.34,   1234567.891, 9007199254740991.0,
                            -0.0, 86400.0, 1.0 / 3.0,   123456789012.5};
  for (double d : doubles) {
    assert_number_as_json_glib<double>(d, &JsonWriter::double_value,
                                       json_node_set_double);
  }
  const int64_t ints[] = {0,
                          1,
                          -1,
                          1700000000000,
                          std::numeric_limits<int64_t>::max(),
                          std::numeric_limits<int64_t>::min()};
  for (int64_t i : ints) {
    assert_number_as_json_glib<int64_t>(i, &JsonWriter::int_value, json_node_set_int);
  }
}
GST_END_TEST;

// A whole double in exponent form gets no ".0" (json-glib's "1e+17.0" is not
// JSON): the text still parses to the number.
GST_START_TEST(test_exponent_stays_json) {
  JsonWriter w;
  w.begin_array();
  w.double_value(1e17);
  w.end_array();
  assert_same(w.text(), "[1e+17]");
  g_autoptr(JsonNode) node = json_from_string(w.text().c_str(), nullptr);
  fail_unless(node != nullptr, "not JSON: %s", w.text().c_str());
}
GST_END_TEST;

// Commas between members and elements, none after the last, at every level.
GST_START_TEST(test_nesting) {
  JsonWriter w;
  w.begin_object();
  w.key("a");
  w.begin_array();
  w.int_value(1);
  w.begin_object();
  w.end_object();
  w.begin_array();
  w.end_array();
  w.boolean_value(true);
  w.end_array();
  w.key("b");
  w.begin_object();
  w.key("c");
  w.boolean_value(false);
  w.key("d");
  w.string_value("e");
  w.end_object();
  w.key("f");
  w.double_value(2.5);
  w.end_object();
  assert_same(w.text(), R"({"a":[1,{},[],true],"b":{"c":false,"d":"e"},"f":2.5})");
}
GST_END_TEST;

static Suite *json_writer_suite(void) {
  Suite *s = suite_create("json-writer");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_every_byte_round_trips);
  tcase_add_test(tc, test_control_characters_escaped);
  tcase_add_test(tc, test_strings_as_json_glib);
  tcase_add_test(tc, test_invalid_utf8_replaced);
  tcase_add_test(tc, test_numbers_as_json_glib);
  tcase_add_test(tc, test_exponent_stays_json);
  tcase_add_test(tc, test_nesting);
  return s;
}

GST_CHECK_MAIN(json_writer);
