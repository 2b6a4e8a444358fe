// Chapters from a table of contents (gst/client/toc-chapters.h): the
// chapterStart, chapterComplete and chapterSkip (spec §5, §6 #7 and #9) that
// the playhead's progress and jumps imply, and how a TOC is normalized.
#include <gst/check/gstcheck.h>

#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "toc-chapters.h"

using mediaanalytics::TocChapters;
using mediaanalytics::TocEntry;

namespace {

using Transitions = std::vector<TocChapters::Transition>;

std::string seconds(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

// "complete 1, start 2 10+10 B": closings by index, starts with their
// offset+length and title (what chapterStart carries, §9.8).
std::string describe(const Transitions &transitions) {
  std::string text;
  for (const TocChapters::Transition &t : transitions) {
    if (!text.empty())
      text += ", ";
    const std::string index = std::to_string(t.index);
    switch (t.change) {
      case TocChapters::Change::kStart:
        text += "start " + index + " " + seconds(t.offset_s) + "+" + seconds(t.length_s) +
                " " + t.title;
        break;
      case TocChapters::Change::kComplete:
        text += "complete " + index;
        break;
      case TocChapters::Change::kSkip:
        text += "skip " + index;
        break;
    }
  }
  return text;
}

// A macro, so that a failure names the test's line; the text is held in a
// local because fail_unless_equals_string() keeps the pointer it is given.
#define expect(call, expected)                               \
  do {                                                       \
    const std::string described_ = describe(call);           \
    fail_unless_equals_string(described_.c_str(), expected); \
  } while (0)

// The open chapter's index; 0: none.
int open_index(const TocChapters &chapters) {
  return chapters.open_index().value_or(0);
}

// A [0,10) B [10,20) C [20,30) in a 30-s media.
TocChapters three_chapters() {
  TocChapters chapters;
  chapters.set_entries({{0, 10, "A"}, {10, 20, "B"}, {20, 30, "C"}}, 30);
  return chapters;
}

// A [0,10), a gap, B [20,30).
TocChapters with_a_gap() {
  TocChapters chapters;
  chapters.set_entries({{0, 10, "A"}, {20, 30, "B"}}, 30);
  return chapters;
}

}  // namespace

GST_START_TEST(test_linear_playback) {
  TocChapters chapters = three_chapters();
  expect(chapters.advance(0), "start 1 0+10 A");
  expect(chapters.advance(5), "");
  expect(chapters.advance(10), "complete 1, start 2 10+10 B");
  fail_unless_equals_int(open_index(chapters), 2);
  expect(chapters.advance(20), "complete 2, start 3 20+10 C");
  expect(chapters.advance(30), "complete 3");
  fail_unless_equals_int(open_index(chapters), 0);
}
GST_END_TEST;

// Between two calls (pings 10 s apart) a short chapter was played through:
// it was watched, so it starts and completes.
GST_START_TEST(test_chapter_passed_between_calls) {
  TocChapters chapters;
  chapters.set_entries({{0, 10, "A"}, {10, 12, "B"}, {12, 30, "C"}}, 30);
  expect(chapters.advance(0), "start 1 0+10 A");
  expect(chapters.advance(15), "complete 1, start 2 10+2 B, complete 2, start 3 12+18 C");
}
GST_END_TEST;

// Playback starting mid-media (a resume position) does not claim the
// chapters before it.
GST_START_TEST(test_first_position_starts_its_chapter_only) {
  TocChapters chapters = three_chapters();
  expect(chapters.advance(15), "start 2 10+10 B");
}
GST_END_TEST;

GST_START_TEST(test_unknown_ends) {
  TocChapters chapters;
  chapters.set_entries({{0, -1, "A"}, {10, NAN, "B"}, {25, -1, "C"}}, 40);
  expect(chapters.advance(0), "start 1 0+10 A");
  expect(chapters.advance(10), "complete 1, start 2 10+15 B");
  expect(chapters.advance(25), "complete 2, start 3 25+15 C");
  expect(chapters.advance(40), "complete 3");
}
GST_END_TEST;

// Without a media length the last chapter stays open until the session
// ends; its length goes out as 0 (the wire needs a number).
GST_START_TEST(test_unknown_end_and_length) {
  TocChapters chapters;
  chapters.set_entries({{0, -1, "A"}, {10, -1, "B"}}, -1);
  expect(chapters.advance(0), "start 1 0+10 A");
  expect(chapters.advance(10), "complete 1, start 2 10+0 B");
  expect(chapters.advance(1e6), "");
  expect(chapters.finish(true), "complete 2");
}
GST_END_TEST;

GST_START_TEST(test_gap_between_chapters) {
  TocChapters chapters = with_a_gap();
  expect(chapters.advance(0), "start 1 0+10 A");
  expect(chapters.advance(15), "complete 1");
  expect(chapters.advance(19.5), "");
  fail_unless_equals_int(open_index(chapters), 0);
  expect(chapters.advance(20), "start 2 20+10 B");
}
GST_END_TEST;

// §6 #9: the chapter left early by a seek is skipped, and the one landed
// in starts; the one jumped over is neither.
GST_START_TEST(test_seek_forward_skips) {
  TocChapters chapters = three_chapters();
  expect(chapters.advance(0), "start 1 0+10 A");
  expect(chapters.advance(5), "");
  expect(chapters.jump(25), "skip 1, start 3 20+10 C");
  expect(chapters.advance(30), "complete 3");
}
GST_END_TEST;

// After a seek back, playback goes on from the new position.
GST_START_TEST(test_seek_backward) {
  TocChapters chapters = three_chapters();
  expect(chapters.advance(0), "start 1 0+10 A");
  expect(chapters.advance(15), "complete 1, start 2 10+10 B");
  expect(chapters.jump(3), "skip 2, start 1 0+10 A");
  expect(chapters.advance(10), "complete 1, start 2 10+10 B");
}
GST_END_TEST;

GST_START_TEST(test_seek_within_chapter) {
  TocChapters chapters = three_chapters();
  expect(chapters.advance(0), "start 1 0+10 A");
  expect(chapters.jump(7), "");
  expect(chapters.jump(2), "");
  fail_unless_equals_int(open_index(chapters), 1);
  expect(chapters.advance(10), "complete 1, start 2 10+10 B");
}
GST_END_TEST;

GST_START_TEST(test_seek_to_gap) {
  TocChapters chapters = with_a_gap();
  expect(chapters.advance(5), "start 1 0+10 A");
  expect(chapters.jump(15), "skip 1");
  expect(chapters.jump(17), "");
  expect(chapters.advance(20), "start 2 20+10 B");
}
GST_END_TEST;

// The end of content completes the open chapter; pings after
// sessionComplete reopen nothing, a seek back does.
GST_START_TEST(test_finish_completed) {
  TocChapters chapters;
  chapters.set_entries({{0, 10, "A"}, {10, -1, "B"}}, -1);
  expect(chapters.advance(12), "start 2 10+0 B");
  expect(chapters.finish(true), "complete 2");
  expect(chapters.advance(13), "");
  fail_unless(chapters.next_boundary(13) < 0);
  expect(chapters.jump(0), "start 1 0+10 A");
}
GST_END_TEST;

GST_START_TEST(test_finish_skipped) {
  TocChapters chapters = three_chapters();
  expect(chapters.advance(5), "start 1 0+10 A");
  expect(chapters.finish(false), "skip 1");
  expect(chapters.finish(false), "");
}
GST_END_TEST;

// A chapter is [start, end): its end belongs to the next one.
GST_START_TEST(test_exactly_on_a_boundary) {
  TocChapters chapters = three_chapters();
  expect(chapters.advance(0), "start 1 0+10 A");
  expect(chapters.advance(9.999), "");
  expect(chapters.advance(10), "complete 1, start 2 10+10 B");
  expect(chapters.advance(10), "");
  expect(chapters.jump(20), "skip 2, start 3 20+10 C");
  expect(chapters.jump(30), "skip 3");
}
GST_END_TEST;

// Sorted; dropped: no usable start, empty, overlapping an earlier one (of
// two starting together, the first given stays).
GST_START_TEST(test_input_normalized) {
  TocChapters chapters;
  chapters.set_entries({{20, 30, "C"},
                        {0, 10, "A"},
                        {5, 15, "overlaps A"},
                        {10, 10, "empty"},
                        {-1, 5, "no start"},
                        {NAN, 5, "no start"},
                        {INFINITY, -1, "no start"},
                        {10, 20, "B"},
                        {0, 8, "starts with A"},
                        {30, -1, "starts at the length"}},
                       30);
  expect(chapters.jump(0), "start 1 0+10 A");
  expect(chapters.jump(12), "skip 1, start 2 10+10 B");
  expect(chapters.jump(25), "skip 2, start 3 20+10 C");
  fail_unless(chapters.next_boundary(25) == 30);
  fail_unless(chapters.next_boundary(30) < 0);
}
GST_END_TEST;

GST_START_TEST(test_next_boundary) {
  TocChapters chapters;
  chapters.set_entries({{0, 10, "A"}, {20, 30, "B"}, {30, -1, "C"}}, -1);
  fail_unless(chapters.next_boundary(-5) == 0);
  fail_unless(chapters.next_boundary(0) == 10);
  fail_unless(chapters.next_boundary(5) == 10);
  fail_unless(chapters.next_boundary(10) == 20);
  fail_unless(chapters.next_boundary(25) == 30);
  // C has no end: nothing more to cross.
  fail_unless(chapters.next_boundary(30) < 0);
}
GST_END_TEST;

GST_START_TEST(test_yield_to_application) {
  TocChapters chapters = three_chapters();
  expect(chapters.advance(5), "start 1 0+10 A");
  expect(chapters.yield_to_application(), "skip 1");
  expect(chapters.advance(15), "");
  expect(chapters.jump(25), "");
  expect(chapters.finish(true), "");
  fail_unless(chapters.next_boundary(25) < 0);
  fail_unless_equals_int(open_index(chapters), 0);
  // Not even the same TOC again brings tracking back.
  chapters.set_entries({{0, 10, "A"}}, 30);
  expect(chapters.jump(5), "");
}
GST_END_TEST;

// A demuxer may send its TOC again: the same table changes nothing.
GST_START_TEST(test_same_table_again) {
  TocChapters chapters = three_chapters();
  expect(chapters.advance(5), "start 1 0+10 A");
  chapters.set_entries({{10, 20, "B"}, {0, 10, "A"}, {20, -1, "C"}}, 30);
  fail_unless_equals_int(open_index(chapters), 1);
  expect(chapters.advance(10), "complete 1, start 2 10+10 B");
}
GST_END_TEST;

GST_START_TEST(test_empty_table) {
  TocChapters chapters;
  chapters.set_entries({{10, 10, "empty"}, {-1, -1, "no start"}}, 30);
  fail_unless(chapters.empty());
  expect(chapters.advance(10), "");
  expect(chapters.jump(5), "");
  expect(chapters.finish(true), "");
  fail_unless(chapters.next_boundary(0) < 0);
}
GST_END_TEST;

static Suite *toc_chapters_suite(void) {
  Suite *s = suite_create("client-toc-chapters");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_linear_playback);
  tcase_add_test(tc, test_chapter_passed_between_calls);
  tcase_add_test(tc, test_first_position_starts_its_chapter_only);
  tcase_add_test(tc, test_unknown_ends);
  tcase_add_test(tc, test_unknown_end_and_length);
  tcase_add_test(tc, test_gap_between_chapters);
  tcase_add_test(tc, test_seek_forward_skips);
  tcase_add_test(tc, test_seek_backward);
  tcase_add_test(tc, test_seek_within_chapter);
  tcase_add_test(tc, test_seek_to_gap);
  tcase_add_test(tc, test_finish_completed);
  tcase_add_test(tc, test_finish_skipped);
  tcase_add_test(tc, test_exactly_on_a_boundary);
  tcase_add_test(tc, test_input_normalized);
  tcase_add_test(tc, test_next_boundary);
  tcase_add_test(tc, test_yield_to_application);
  tcase_add_test(tc, test_same_table_again);
  tcase_add_test(tc, test_empty_table);
  return s;
}

GST_CHECK_MAIN(toc_chapters);
