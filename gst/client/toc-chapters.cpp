#include "toc-chapters.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace mediaanalytics {

namespace {

constexpr double kOpenEnd = std::numeric_limits<double>::infinity();

bool same_entries(const std::vector<TocEntry> &a, const std::vector<TocEntry> &b) {
  return std::equal(
      a.begin(), a.end(), b.begin(), b.end(), [](const TocEntry &x, const TocEntry &y) {
        return x.start_s == y.start_s && x.end_s == y.end_s && x.title == y.title;
      });
}

// The table as the back end can take it (see set_entries()).
std::vector<TocEntry> normalize(std::vector<TocEntry> entries, double length_s) {
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [](const TocEntry &entry) {
                                 return !std::isfinite(entry.start_s) ||
                                        entry.start_s < 0;
                               }),
                entries.end());
  // Stable, so that of entries starting together the first given is kept.
  std::stable_sort(
      entries.begin(), entries.end(),
      [](const TocEntry &a, const TocEntry &b) { return a.start_s < b.start_s; });
  const bool length_known = std::isfinite(length_s) && length_s > 0;
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->end_s >= 0)  // also false for NaN: unknown
      continue;
    // The next entry starting later, not one starting together (that would
    // make this one empty).
    const auto next = std::find_if(it + 1, entries.end(), [it](const TocEntry &e) {
      return e.start_s > it->start_s;
    });
    it->end_s = next != entries.end() ? next->start_s
                : length_known        ? length_s
                                      : kOpenEnd;
  }
  std::vector<TocEntry> kept;
  for (TocEntry &entry : entries) {
    const bool is_empty = entry.end_s <= entry.start_s;
    const bool overlaps = !kept.empty() && entry.start_s < kept.back().end_s;
    if (!is_empty && !overlaps)
      kept.push_back(std::move(entry));
  }
  return kept;
}

}  // namespace

void TocChapters::set_entries(std::vector<TocEntry> entries, double length_s) {
  std::vector<TocEntry> normalized = normalize(std::move(entries), length_s);
  if (same_entries(normalized, entries_))
    return;
  entries_ = std::move(normalized);
  open_.reset();
  playhead_.reset();
  finished_ = false;
}

std::vector<TocEntry>::const_iterator TocChapters::first_ending_after(
    double playhead_s) const {
  return std::upper_bound(
      entries_.begin(), entries_.end(), playhead_s,
      [](double playhead, const TocEntry &entry) { return playhead < entry.end_s; });
}

std::optional<std::size_t> TocChapters::chapter_at(double playhead_s) const {
  // The only candidate, since entries are sorted and disjoint.
  const auto it = first_ending_after(playhead_s);
  if (it == entries_.end() || it->start_s > playhead_s)
    return std::nullopt;
  return static_cast<std::size_t>(it - entries_.begin());
}

TocChapters::Transition TocChapters::transition(Change change, std::size_t i) const {
  const TocEntry &entry = entries_[i];
  const double length = std::isfinite(entry.end_s) ? entry.end_s - entry.start_s : 0.0;
  return {change, static_cast<int>(i) + 1, entry.start_s, length, entry.title};
}

void TocChapters::close_open(Change change, std::vector<Transition> *out) {
  if (!open_)
    return;
  out->push_back(transition(change, *open_));
  open_.reset();
}

void TocChapters::open(std::size_t i, std::vector<Transition> *out) {
  out->push_back(transition(Change::kStart, i));
  open_ = i;
}

std::vector<TocChapters::Transition> TocChapters::advance(double playhead_s) {
  std::vector<Transition> out;
  if (!tracking())
    return out;
  if (!playhead_) {
    playhead_ = playhead_s;
    if (const auto here = chapter_at(playhead_s))
      open(*here, &out);
    return out;
  }
  if (playhead_s < *playhead_)
    return out;
  const double from = *playhead_;
  playhead_ = playhead_s;
  if (open_ && playhead_s < entries_[*open_].end_s)
    return out;  // still inside: no other chapter can begin (no overlaps)
  close_open(Change::kComplete, &out);
  // Chapters beginning after `from` up to the playhead; one beginning at
  // `from` exactly was opened when the playhead got there.
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const TocEntry &entry = entries_[i];
    if (entry.start_s <= from)
      continue;
    if (entry.start_s > playhead_s)
      break;
    open(i, &out);
    if (playhead_s < entry.end_s)
      break;  // the playhead is in it; the later ones begin after
    close_open(Change::kComplete, &out);
  }
  return out;
}

std::vector<TocChapters::Transition> TocChapters::jump(double playhead_s) {
  std::vector<Transition> out;
  if (yielded_ || entries_.empty())
    return out;
  finished_ = false;
  playhead_ = playhead_s;
  const std::optional<std::size_t> landed = chapter_at(playhead_s);
  if (landed == open_)
    return out;
  close_open(Change::kSkip, &out);
  if (landed)
    open(*landed, &out);
  return out;
}

std::vector<TocChapters::Transition> TocChapters::finish(bool completed) {
  std::vector<Transition> out;
  close_open(completed ? Change::kComplete : Change::kSkip, &out);
  finished_ = true;
  return out;
}

double TocChapters::next_boundary(double playhead_s) const {
  if (!tracking())
    return -1;
  // Starts and ends alternate in order (sorted, disjoint), so the first
  // entry ending after the playhead holds the answer.
  const auto it = first_ending_after(playhead_s);
  if (it == entries_.end())
    return -1;
  if (it->start_s > playhead_s)
    return it->start_s;
  return std::isfinite(it->end_s) ? it->end_s : -1;
}

std::optional<int> TocChapters::open_index() const {
  if (!open_)
    return std::nullopt;
  return static_cast<int>(*open_) + 1;
}

std::vector<TocChapters::Transition> TocChapters::yield_to_application() {
  std::vector<Transition> out;
  close_open(Change::kSkip, &out);
  yielded_ = true;
  return out;
}

}  // namespace mediaanalytics
