// Chapters from a table of contents (a GstToc, converted by the element into
// TocEntry values): which chapterStart, chapterComplete and chapterSkip
// (spec §5, §6 #7 and #9, params §9.8) the playhead's progress implies.
//
// Pure bookkeeping, no GStreamer and no clock: the element feeds it playhead
// positions and sends the transitions it returns. One object per session.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace mediaanalytics {

struct TocEntry {
  double start_s = 0;
  // < 0 (or NaN): unknown, until the next entry's start or the media length.
  double end_s = -1;
  std::string title;
};

class TocChapters {
 public:
  // Replaces the table. Entries are sorted by start; an entry with an unknown
  // end ends where the next one starts, else at `length_s` (when > 0), else
  // stays open until the session ends. Dropped, because the back end cannot
  // place or count them: entries without a usable start (negative, NaN,
  // infinite), empty ones (end <= start) and ones overlapping an earlier
  // entry (§5.1: chapters never overlap; nested TOC levels would).
  // The same table again (a demuxer may repeat its TOC) changes nothing; a
  // different one starts afresh and forgets an open chapter without a
  // transition, so close it first (finish()). A yield stays in force.
  void set_entries(std::vector<TocEntry> entries, double length_s);
  bool empty() const { return entries_.empty(); }

  enum class Change { kStart, kComplete, kSkip };
  struct Transition {
    Change change;
    int index;  // 1-based position in the normalized table, stable per entry
    double offset_s;
    // 0 when the end is unknown (open until the end of a media of unknown
    // length): media.chapter.length is a required non-negative number.
    double length_s;
    std::string title;
  };

  // Normal playback reached `playhead_s`. The open chapter completes when the
  // playhead reaches its end; a chapter whose start it reaches starts; one
  // passed over entirely between two calls starts and completes (it was
  // played). Complete before start. A position behind the last one is
  // ignored (playback does not go back; that is a jump). The first call
  // starts the chapter the playhead is in.
  std::vector<Transition> advance(double playhead_s);
  // A seek (or any jump) landed at `playhead_s`: the open chapter is skipped
  // (§6 #9) and the one landed in starts (none in a gap); within the same
  // chapter nothing changes. Call advance() with the last position played
  // first, so that a chapter that had reached its end completes rather than
  // being skipped.
  std::vector<Transition> jump(double playhead_s);
  // The session ends: the open chapter completes (`completed`: the content
  // reached its end) or is skipped. Then advance() does nothing (pings after
  // sessionComplete must not reopen a chapter) until a jump (a seek back).
  std::vector<Transition> finish(bool completed);

  // The first boundary (a chapter's start or end) after `playhead_s`, so that
  // the element can check cheaply whether data crossed it and call advance();
  // < 0: none, or nothing more can happen.
  double next_boundary(double playhead_s) const;
  // The open chapter's index (1-based).
  std::optional<int> open_index() const;

  // The application took over chapters (its own chapter-start): TOC tracking
  // stops for the session, since two sources would overlap. Returns the
  // chapterSkip closing an open TOC chapter, if any.
  std::vector<Transition> yield_to_application();

 private:
  // Whether playback alone (advance()) can still open or close a chapter.
  bool tracking() const { return !yielded_ && !finished_ && !entries_.empty(); }
  // Ends are sorted too (entries are disjoint), so this is a binary search.
  std::vector<TocEntry>::const_iterator first_ending_after(double playhead_s) const;
  // The index into entries_ of the chapter containing `playhead_s`.
  std::optional<std::size_t> chapter_at(double playhead_s) const;
  Transition transition(Change change, std::size_t i) const;
  // Closes the open chapter, if any, with `change` into `out`.
  void close_open(Change change, std::vector<Transition> *out);
  // Starts entries_[i] into `out` and opens it.
  void open(std::size_t i, std::vector<Transition> *out);

  std::vector<TocEntry> entries_;  // normalized; end_s is +inf when open
  std::optional<std::size_t> open_;
  std::optional<double> playhead_;  // the last position seen, none at first
  bool finished_ = false;
  bool yielded_ = false;
};

}  // namespace mediaanalytics
