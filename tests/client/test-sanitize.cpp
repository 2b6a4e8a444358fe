// Strings from the stream made safe to become params (gst/client/sanitize.h).
#include <gst/check/gstcheck.h>

#include <glib.h>

#include <string>
#include <string_view>

#include "sanitize.h"

using mediaanalytics::kMaxTextBytes;
using mediaanalytics::sanitize_text;
using mediaanalytics::sanitize_uri;

namespace {

using namespace std::string_literals;

// U+FFFD, as it is written in UTF-8.
constexpr const char *kReplacement = "\xEF\xBF\xBD";

// For messages: the bytes as C escapes.
std::string escaped(const std::string &text) {
  g_autofree gchar *escaped_text = g_strescape(text.c_str(), nullptr);
  return escaped_text;
}

void expect_text(const std::string &input, const std::string &expected,
                 std::size_t max_bytes = kMaxTextBytes) {
  const std::string got = sanitize_text(input, max_bytes);
  fail_unless(got == expected, "sanitize_text(\"%s\", %zu): expected \"%s\", got \"%s\"",
              escaped(input).c_str(), max_bytes, escaped(expected).c_str(),
              escaped(got).c_str());
}

void expect_uri(const std::string &input, const std::string &expected) {
  const std::string got = sanitize_uri(input);
  fail_unless(got == expected, "sanitize_uri(\"%s\"): expected \"%s\", got \"%s\"",
              escaped(input).c_str(), escaped(expected).c_str(), escaped(got).c_str());
}

}  // namespace

GST_START_TEST(test_plain_text_unchanged) {
  expect_text("Big Buck Bunny", "Big Buck Bunny");
  expect_text("Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x8E\xAC",
              "Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x8E\xAC");
  expect_text("quotes \" and \\ stay", "quotes \" and \\ stay");
  expect_text("", "");
}
GST_END_TEST;

// Each byte that starts no valid sequence is one U+FFFD, as g_utf8_make_valid()
// makes it.
GST_START_TEST(test_invalid_utf8_replaced) {
  expect_text(
      "a\xFF"
      "b",
      "a"s + kReplacement + "b");
  expect_text("\x80", kReplacement);
  // Truncated at the end: two bytes of a three-byte character.
  expect_text("ab\xE2\x82", "ab"s + kReplacement + kReplacement);
  // An overlong '/' and an encoded surrogate are not UTF-8.
  expect_text("\xC0\xAF", kReplacement + std::string(kReplacement));
  expect_text("\xED\xA0\x80", kReplacement + std::string(kReplacement) + kReplacement);
  const std::string raw = "x\xFE\xC3(y\xF0\x9F";
  g_autofree gchar *made_valid = g_utf8_make_valid(raw.c_str(), -1);
  expect_text(raw, made_valid);
}
GST_END_TEST;

GST_START_TEST(test_line_breaks_and_tabs_become_spaces) {
  expect_text("one\ntwo\tthree\r\nfour", "one two three  four");
  expect_text("a\vb\fc", "a b c");
}
GST_END_TEST;

GST_START_TEST(test_other_controls_removed) {
  expect_text(
      "a\x01"
      "b\x1B[31mc\x7F"
      "d",
      "ab[31mcd");
  expect_text("nul\0inside"s, "nulinside");
  // C1 controls: U+0085 (NEL) and U+009B (CSI).
  expect_text(
      "a\xC2\x85"
      "b\xC2\x9B"
      "c",
      "abc");
  // U+00A0 is not a control: kept inside the text.
  expect_text(
      "a\xC2\xA0"
      "b",
      "a\xC2\xA0"
      "b");
}
GST_END_TEST;

GST_START_TEST(test_white_space_trimmed) {
  expect_text("  \t title \n ", "title");
  expect_text("\x01 \x02 title\x03 ", "title");
  // Unicode spaces too: U+00A0 and U+3000.
  expect_text("\xC2\xA0title\xE3\x80\x80", "title");
  expect_text(" \t\n ", "");
}
GST_END_TEST;

GST_START_TEST(test_truncated_to_the_limit) {
  const std::string long_text(5000, 'x');
  expect_text(long_text, std::string(kMaxTextBytes, 'x'));
  expect_text("abcdef", "abc", 3);
  expect_text("abc", "abc", 3);
  expect_text("abc", "", 0);
}
GST_END_TEST;

// A character that would cross the limit is left out whole.
GST_START_TEST(test_truncation_never_splits_a_character) {
  const std::string e_acute = "\xC3\xA9";
  expect_text("ab" + e_acute, "ab", 3);
  expect_text("ab" + e_acute, "ab" + e_acute, 4);
  expect_text("\xF0\x9F\x8E\xAC", "", 3);
  std::string accents;
  for (int i = 0; i < 600; ++i) {
    accents += e_acute;
  }
  const std::string got = sanitize_text("a" + accents);
  fail_unless(got.size() == kMaxTextBytes - 1, "size %zu", got.size());
  fail_unless(g_utf8_validate(got.data(), static_cast<gssize>(got.size()), nullptr),
              "cut inside a character");
}
GST_END_TEST;

// White space that the cut leaves at the end goes too.
GST_START_TEST(test_trimmed_after_the_cut) {
  expect_text("abc   def", "abc", 5);
}
GST_END_TEST;

GST_START_TEST(test_sanitizing_twice_changes_nothing) {
  const std::string inputs[] = {
      " a\x01\xFF\n b \xC2\x9B\xE2\x82",
      std::string(2000, ' ') + "x",
      "\xC3\xA9\xC3\xA9\xC3\xA9",
  };
  for (const std::string &input : inputs) {
    const std::string once = sanitize_text(input, 5);
    fail_unless(sanitize_text(once, 5) == once, "not stable: %s", once.c_str());
  }
}
GST_END_TEST;

GST_START_TEST(test_uri_credentials_query_fragment_removed) {
  expect_uri("https://user:secret@cdn.example.com/v/master.m3u8?token=abc#t=10",
             "https://cdn.example.com/v/master.m3u8");
  expect_uri("rtsp://cam:pw@10.0.0.1:554/stream", "rtsp://10.0.0.1:554/stream");
  expect_uri("http://cdn.example.com:8080/a%20b.mp4?x=1",
             "http://cdn.example.com:8080/a%20b.mp4");
  expect_uri("http://token@h/x", "http://h/x");
}
GST_END_TEST;

GST_START_TEST(test_uri_kept_when_clean) {
  expect_uri("file:///media/movie.mkv", "file:///media/movie.mkv");
  expect_uri("https://cdn.example.com/a/b/c.mpd", "https://cdn.example.com/a/b/c.mpd");
  expect_uri("http://[::1]:8080/x", "http://[::1]:8080/x");
}
GST_END_TEST;

// What GUri refuses still loses credentials, query and fragment.
GST_START_TEST(test_uri_malformed) {
  expect_uri("not a uri?secret=1", "not a uri");
  expect_uri("http://user:pass@host:port/a b?token=1", "http://host:port/a b");
  expect_uri("user:pass@host/path#frag", "host/path");
  // Unescaped '?' or '#' in a password: none of it is kept.
  expect_uri("http://u:p?ss@h/x", "http://h/x");
  expect_uri("http://u:p#w@h/x?y", "http://h/x");
  expect_uri("http://u:p@h/x%zz?q", "http://h/x%zz");
  // A password with an unescaped '@': GUri would keep "ss@" in the host.
  expect_uri("http://user:p@ss@host/x?t", "http://host/x");
  // A control character inside "//" is removed before the authority is
  // looked for, not after.
  expect_uri("rtsp:/\x01/user:pw@host/x", "rtsp://host/x");
  // An '@' in a path is not userinfo.
  expect_uri("/media/a@b//c@d.mp4?k", "/media/a@b//c@d.mp4");
  expect_uri("", "");
}
GST_END_TEST;

GST_START_TEST(test_uri_text_sanitized) {
  // Controls go first, a line break is a space, which GUri escapes; the text
  // left when GUri refuses the URI keeps it as it is.
  expect_uri("http://u:p@h/line\nbreak\x01?q", "http://h/line%20break");
  expect_uri("http://u:p#w@h/line\nbreak\x01?q", "http://h/line break");
  expect_uri("http://h/\xFF.mp4", "http://h/%EF%BF%BD.mp4");
  expect_uri("http://h:x/\xFF.mp4", "http://h:x/"s + kReplacement + ".mp4");
  expect_uri("http://u:p@h/a\0b?q"s, "http://h/ab");
  const std::string long_path = "http://h/" + std::string(4000, 'p') + "?token=1";
  expect_uri(long_path, "http://h/" + std::string(kMaxTextBytes - 9, 'p'));
}
GST_END_TEST;

static Suite *sanitize_suite(void) {
  Suite *s = suite_create("client-sanitize");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_plain_text_unchanged);
  tcase_add_test(tc, test_invalid_utf8_replaced);
  tcase_add_test(tc, test_line_breaks_and_tabs_become_spaces);
  tcase_add_test(tc, test_other_controls_removed);
  tcase_add_test(tc, test_white_space_trimmed);
  tcase_add_test(tc, test_truncated_to_the_limit);
  tcase_add_test(tc, test_truncation_never_splits_a_character);
  tcase_add_test(tc, test_trimmed_after_the_cut);
  tcase_add_test(tc, test_sanitizing_twice_changes_nothing);
  tcase_add_test(tc, test_uri_credentials_query_fragment_removed);
  tcase_add_test(tc, test_uri_kept_when_clean);
  tcase_add_test(tc, test_uri_malformed);
  tcase_add_test(tc, test_uri_text_sanitized);
  return s;
}

GST_CHECK_MAIN(sanitize);
