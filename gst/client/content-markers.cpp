#include "content-markers.h"

#include <algorithm>

namespace mediaanalytics {

namespace {

bool contains(const std::vector<std::string> &names, const std::string &name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

MarkerVerdict ContentMarkers::ad_break_start() {
  MarkerVerdict verdict;
  if (in_ad_)
    verdict.closes.push_back(EventType::kAdSkip);
  if (in_break_)
    verdict.closes.push_back(EventType::kAdBreakComplete);
  in_break_ = true;
  in_ad_ = false;
  ad_seen_in_break_ = false;
  break_seen_ = true;
  return verdict;
}

MarkerVerdict ContentMarkers::ad_start() {
  if (!in_break_)
    return MarkerVerdict::reject(
        "no ad break is open: an ad goes inside adBreakStart … adBreakComplete, even "
        "a single one (spec §6 #3); call ad-break-start first");
  MarkerVerdict verdict;
  if (in_ad_)
    verdict.closes.push_back(EventType::kAdComplete);
  in_ad_ = true;
  ad_seen_in_break_ = true;
  return verdict;
}

MarkerVerdict ContentMarkers::ad_complete() {
  if (!in_ad_)
    return MarkerVerdict::reject("no ad is open: call ad-start first");
  in_ad_ = false;
  return {};
}

MarkerVerdict ContentMarkers::ad_skip() {
  return ad_complete();
}

MarkerVerdict ContentMarkers::ad_break_complete() {
  if (!in_break_)
    return MarkerVerdict::reject("no ad break is open: call ad-break-start first");
  MarkerVerdict verdict;
  if (in_ad_)
    verdict.closes.push_back(EventType::kAdSkip);
  in_break_ = false;
  in_ad_ = false;
  ad_seen_in_break_ = false;
  return verdict;
}

MarkerVerdict ContentMarkers::chapter_start() {
  if (chapter_open_)
    return MarkerVerdict::reject(
        "a chapter is open: chapters never overlap (spec §6 #7); close it with "
        "chapter-complete or chapter-skip first");
  chapter_open_ = true;
  return {};
}

MarkerVerdict ContentMarkers::chapter_complete() {
  if (!chapter_open_)
    return MarkerVerdict::reject("no chapter is open: call chapter-start first");
  chapter_open_ = false;
  return {};
}

MarkerVerdict ContentMarkers::chapter_skip() {
  return chapter_complete();
}

MarkerVerdict ContentMarkers::state_start(const std::string &name) {
  if (contains(active_, name))
    return MarkerVerdict::reject("state '" + name + "' is already active");
  if (!contains(known_, name)) {
    if (known_.size() >= kMaxStates)
      return MarkerVerdict::reject(
          "a session keeps at most 10 distinct states (spec §11); '" + name +
          "' would be the 11th");
    known_.push_back(name);
  }
  active_.push_back(name);
  return {};
}

MarkerVerdict ContentMarkers::state_end(const std::string &name) {
  auto it = std::find(active_.begin(), active_.end(), name);
  if (it == active_.end())
    return MarkerVerdict::reject("state '" + name + "' is not active");
  active_.erase(it);
  return {};
}

std::vector<EventType> ContentMarkers::close_all(bool completed) {
  std::vector<EventType> closes;
  if (in_ad_)
    closes.push_back(completed ? EventType::kAdComplete : EventType::kAdSkip);
  if (in_break_)
    closes.push_back(EventType::kAdBreakComplete);
  if (chapter_open_)
    closes.push_back(completed ? EventType::kChapterComplete : EventType::kChapterSkip);
  in_break_ = false;
  in_ad_ = false;
  ad_seen_in_break_ = false;
  chapter_open_ = false;
  return closes;
}

void ContentMarkers::new_session() {
  in_break_ = false;
  in_ad_ = false;
  ad_seen_in_break_ = false;
  chapter_open_ = false;
  break_seen_ = false;
  // The states stay active; the distinct count starts over with them.
  known_ = active_;
}

}  // namespace mediaanalytics
