#include "fault-matrix.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

using collector_test::now_ms;
using collector_test::scaled_ms;
using scenario::Collector;
using scenario::Player;

namespace faults {

namespace {

// The clip: 3 s of moving pattern, small (the cases run five pipelines at
// once on 2 cores), a keyframe every second. Made by the test case's
// unchecked fixture, in the parent of the forked tests.
std::string g_clip_path;

void make_clip() {
  g_clip_path =
      scenario::make_media("faults.mkv",
                           "videotestsrc num-buffers=75 horizontal-speed=4 ! "
                           "video/x-raw,width=160,height=120,framerate=25/1 ! "
                           "theoraenc keyframe-freq=25 keyframe-force=25 ! matroskamux");
}

// How long one step of a script may wait for what it waits for (scaled).
constexpr int64_t kStepTimeoutMs = 20000;

std::string baseline_path() {
  return collector_test::g_base_dir + "/baseline-gap-ms";
}

// ---------------------------------------------------------------------------
// What the element said on the bus.

// One `mediaanalytics-event` message: a request the endpoint answered.
struct Report {
  std::string type;
  int64_t ts = 0;
  std::string sid;
  unsigned status = 0;
  bool resume = false;

  bool ok() const { return status >= 200 && status < 300; }
};

// The element's reports, taken in a bus sync handler: it sees the messages
// the element posts while the pipeline goes to NULL (the pipeline flushes
// its bus only after its children stopped, but an async watch would not run
// before that). The handler only copies a few fields under a lock the test
// thread holds briefly: it never blocks the sending thread.
class ReportTap {
 public:
  explicit ReportTap(GstElement *pipeline) : bus_(gst_element_get_bus(pipeline)) {
    gst_bus_set_sync_handler(bus_, on_message, this, nullptr);
  }
  ~ReportTap() {
    gst_bus_set_sync_handler(bus_, nullptr, nullptr, nullptr);
    gst_object_unref(bus_);
  }
  ReportTap(const ReportTap &) = delete;
  ReportTap &operator=(const ReportTap &) = delete;

  std::vector<Report> reports() const {
    std::lock_guard<std::mutex> lock(lock_);
    return reports_;
  }

 private:
  static GstBusSyncReply on_message(GstBus *, GstMessage *message, gpointer self) {
    const GstStructure *s = gst_message_get_structure(message);
    if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ELEMENT || !s ||
        !gst_structure_has_name(s, "mediaanalytics-event"))
      return GST_BUS_PASS;
    Report r;
    r.type = gst_structure_get_string(s, "event-type");
    gint64 ts = 0;
    gst_structure_get_int64(s, "ts", &ts);
    r.ts = ts;
    const char *sid = gst_structure_get_string(s, "session-id");
    r.sid = sid ? sid : "";
    guint status = 0;
    gst_structure_get_uint(s, "http-status", &status);
    r.status = status;
    gboolean resume = FALSE;
    gst_structure_get_boolean(s, "resume", &resume);
    r.resume = resume != FALSE;
    auto *tap = static_cast<ReportTap *>(self);
    std::lock_guard<std::mutex> lock(tap->lock_);
    tap->reports_.push_back(std::move(r));
    return GST_BUS_PASS;
  }

  GstBus *bus_;
  mutable std::mutex lock_;
  std::vector<Report> reports_;
};

// When buffers reach the sink, in stretches of uninterrupted flow: the
// application's own interruptions (a pause, a seek, buffering) start a new
// stretch (restart()), so that only waits nobody asked for count.
class FlowLog {
 public:
  explicit FlowLog(GstElement *sink) : pad_(gst_element_get_static_pad(sink, "sink")) {
    probe_ =
        gst_pad_add_probe(pad_,
                          static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                                       GST_PAD_PROBE_TYPE_BUFFER_LIST),
                          on_buffer, this, nullptr);
  }
  ~FlowLog() {
    gst_pad_remove_probe(pad_, probe_);
    gst_object_unref(pad_);
  }
  FlowLog(const FlowLog &) = delete;
  FlowLog &operator=(const FlowLog &) = delete;

  // The next buffer starts a new stretch.
  void restart() { restart_.store(true); }
  // The longest time between two buffers of one stretch.
  int64_t longest_gap_ms() const { return longest_us_.load() / 1000; }

 private:
  // Streaming thread: no lock, two atomics.
  static GstPadProbeReturn on_buffer(GstPad *, GstPadProbeInfo *, gpointer self) {
    auto *log = static_cast<FlowLog *>(self);
    const int64_t now = g_get_monotonic_time();
    const int64_t last = log->last_us_.exchange(now);
    if (!log->restart_.exchange(false) && last > 0 &&
        now - last > log->longest_us_.load())
      log->longest_us_.store(now - last);
    return GST_PAD_PROBE_OK;
  }

  GstPad *pad_;
  gulong probe_ = 0;
  std::atomic<int64_t> last_us_{0};
  std::atomic<int64_t> longest_us_{0};
  std::atomic<bool> restart_{false};
};

// The element's stats, read once it is in NULL (the counters at the stop).
struct Stats {
  guint64 generated = 0, sent = 0, queued = 0, dropped = 0;
  std::map<std::string, guint64> dropped_by;  // "overflow", "rejected", ...
};

Stats read_stats(GstElement *ma) {
  GstStructure *s = nullptr;
  g_object_get(ma, "stats", &s, nullptr);
  fail_unless(s != nullptr, "no stats");
  Stats out;
  auto field = [s](const char *name) {
    guint64 v = 0;
    fail_unless(gst_structure_get_uint64(s, name, &v), "stats has no %s", name);
    return v;
  };
  out.generated = field("events-generated");
  out.sent = field("events-sent");
  out.queued = field("events-queued");
  out.dropped = field("events-dropped");
  for (const char *reason : {"overflow", "rejected", "no-session", "flush"})
    out.dropped_by[reason] = field((std::string("events-dropped-") + reason).c_str());
  gst_structure_free(s);
  return out;
}

guint64 events_queued(GstElement *ma) {
  GstStructure *s = nullptr;
  g_object_get(ma, "stats", &s, nullptr);
  guint64 queued = 0;
  gst_structure_get_uint64(s, "events-queued", &queued);
  gst_structure_free(s);
  return queued;
}

// ---------------------------------------------------------------------------
// The playbacks.

// One playback: the pipeline driven by its script, and what it showed.
struct Run {
  Playback playback;
  std::unique_ptr<Player> player;
  GstElement *ma = nullptr;  // borrowed from the pipeline
  // Destroyed before the player (declared after it).
  std::unique_ptr<ReportTap> tap;
  std::unique_ptr<FlowLog> flow;

  size_t step = 0;
  int64_t step_started_ms = 0;
  bool stopped = false;
  int64_t shutdown_ms = 0;
  Stats stats;
  std::vector<Report> reports;

  void post_buffering(int percent) {
    GstElement *src = player->element("src");
    gst_element_post_message(src, gst_message_new_buffering(GST_OBJECT(src), percent));
  }

  // Goes to NULL, timed, and keeps what the element counted.
  void stop() {
    const int64_t started = now_ms();
    player->stop();
    shutdown_ms = now_ms() - started;
    stopped = true;
    stats = read_stats(ma);
  }
};

// One step of a script: once `ready` holds, `act` runs and the next step
// starts.
struct Step {
  const char *what;  // for the failure message
  std::function<bool(Run &)> ready;
  std::function<void(Run &)> act;
};

Step at_position(double seconds, std::function<void(Run &)> act) {
  return {"the position", [seconds](Run &r) { return r.player->position() >= seconds; },
          std::move(act)};
}

Step after_ms(int64_t ms, std::function<void(Run &)> act) {
  return {"a wait", [ms](Run &r) { return now_ms() - r.step_started_ms >= ms; },
          std::move(act)};
}

// Played to the end: an application that keeps running until its reports
// are out (at most `settle_ms`), then stops.
std::vector<Step> to_end_then_stop(int settle_ms) {
  const int64_t settle_limit_ms = scaled_ms(settle_ms);
  return {
      {"EOS", [](Run &r) { return r.player->eos(); }, [](Run &) {}},
      {"delivery",
       [settle_limit_ms](Run &r) {
         return events_queued(r.ma) == 0 ||
                now_ms() - r.step_started_ms >= settle_limit_ms;
       },
       [](Run &r) { r.stop(); }},
  };
}

std::vector<Step> script_of(Playback playback, int settle_ms) {
  std::vector<Step> steps;
  switch (playback) {
    case Playback::kEnd:
      break;
    case Playback::kPause:
      steps = {at_position(1.0, [](Run &r) { r.player->pause(); }),
               after_ms(1000, [](Run &r) {
                 r.flow->restart();
                 r.player->play();
               })};
      break;
    case Playback::kSeek:
      steps = {at_position(1.0, [](Run &r) {
        r.flow->restart();
        r.player->seek(2.0);
      })};
      break;
    case Playback::kBuffering:
      // As a network source does; the application (Player) pauses the
      // pipeline below 100 % and plays it again at 100 %.
      steps = {at_position(1.0, [](Run &r) { r.post_buffering(0); }),
               after_ms(1000, [](Run &r) {
                 r.flow->restart();
                 r.post_buffering(100);
               })};
      break;
    case Playback::kAbandon:
      return {at_position(1.5, [](Run &r) { r.stop(); })};
  }
  for (Step &s : to_end_then_stop(settle_ms))
    steps.push_back(std::move(s));
  return steps;
}

std::string pipeline_description(const Collector &c) {
  return "filesrc name=src location=\"" + g_clip_path + "\" ! decodebin ! " +
         scenario::element_description(c) +
         " flush-timeout=" + std::to_string(flush_timeout_ms() * GST_MSECOND) +
         " ! fakesink name=sink sync=true";
}

// Plays every playback of the case at once, from this thread, until all
// stopped. A stop that waits for flush-timeout holds the other scripts up
// that long (their pipelines play on meanwhile): it only shifts when their
// next step comes.
std::vector<std::unique_ptr<Run>> play_all(const FaultCase &fault_case, Collector &c) {
  std::vector<std::unique_ptr<Run>> runs;
  std::vector<std::vector<Step>> scripts;
  for (Playback playback : fault_case.playbacks) {
    auto run = std::make_unique<Run>();
    run->playback = playback;
    run->player = std::make_unique<Player>(pipeline_description(c));
    run->ma = run->player->element("ma");
    run->tap = std::make_unique<ReportTap>(run->player->pipeline());
    run->flow = std::make_unique<FlowLog>(run->player->element("sink"));
    runs.push_back(std::move(run));
    scripts.push_back(script_of(playback, fault_case.settle_ms));
  }
  for (auto &run : runs) {
    run->step_started_ms = now_ms();
    run->player->play();
  }
  const int64_t step_timeout_ms = scaled_ms(kStepTimeoutMs);
  while (true) {
    bool all_stopped = true;
    for (size_t i = 0; i < runs.size(); i++) {
      Run &r = *runs[i];
      if (r.stopped)
        continue;
      all_stopped = false;
      // Handles the bus messages that came (BUFFERING, EOS) as the
      // application does.
      r.player->run_until([] { return true; }, 0);
      fail_unless(r.player->error() == nullptr, "%s: an ERROR from %s: %s",
                  playback_name(r.playback), r.player->error_source().c_str(),
                  r.player->error() ? r.player->error()->message : "");
      const Step &step = scripts[i][r.step];
      if (step.ready(r)) {
        step.act(r);
        r.step++;
        r.step_started_ms = now_ms();
      } else {
        fail_unless(now_ms() - r.step_started_ms < step_timeout_ms,
                    "%s: %s did not come within %" G_GINT64_FORMAT " ms (step %zu)",
                    playback_name(r.playback), step.what, step_timeout_ms, r.step);
      }
    }
    if (all_stopped)
      break;
    g_usleep(5000);
  }
  for (auto &run : runs)
    run->reports = run->tap->reports();
  return runs;
}

// ---------------------------------------------------------------------------
// The record.

// A request the collector answered 2xx, or a report of one: what must match.
struct Delivery {
  std::string type;
  int64_t ts;
  bool operator==(const Delivery &o) const { return type == o.type && ts == o.ts; }
};

std::string describe(const std::vector<Delivery> &events) {
  std::string out;
  for (const Delivery &d : events)
    out += "  " + d.type + " ts=" + std::to_string(d.ts) + "\n";
  return out;
}

JsonObject *body_of(const collector_test::Line &line) {
  JsonNode *body = json_object_get_member(line.object(), "body");
  return body && JSON_NODE_HOLDS_OBJECT(body) ? json_node_get_object(body) : nullptr;
}

int64_t ts_of(const collector_test::Line &line) {
  JsonObject *body = body_of(line);
  JsonObject *pt = body && json_object_has_member(body, "playerTime")
                       ? json_object_get_object_member(body, "playerTime")
                       : nullptr;
  return pt ? json_object_get_int_member(pt, "ts") : -1;
}

bool resume_param(const collector_test::Line &line) {
  JsonObject *body = body_of(line);
  JsonObject *params = body && json_object_has_member(body, "params")
                           ? json_object_get_object_member(body, "params")
                           : nullptr;
  return params && json_object_has_member(params, "media.resume") &&
         json_object_get_boolean_member(params, "media.resume");
}

// What the collector accepted, per session, in arrival order; and whether
// each session's sessionStart said media.resume.
struct Accepted {
  std::map<std::string, std::vector<Delivery>> sessions;
  std::map<std::string, bool> resumed;
  // Every request to each session, as the record has it: for the failure
  // messages.
  std::map<std::string, std::string> history;
  size_t attempts = 0;  // every POST that reached the collector
};

Accepted read_accepted(const collector_test::Lines &record) {
  Accepted out;
  for (const collector_test::Line &line : record) {
    if (line.is_closed()) {
      fail_unless(line.findings().empty(), "session %s closed with findings: %s",
                  line.str("session").c_str(), line.findings().c_str());
      continue;
    }
    if (!line.is_request())
      continue;
    out.attempts++;
    const int64_t status = line.num("status");
    // A 201 without a usable Location opened no session.
    const bool opened_none = g_str_has_prefix(line.str("fault").c_str(), "location-");
    out.history[line.str("session")] += "  " + line.event_type() +
                                        " ts=" + std::to_string(ts_of(line)) +
                                        " status=" + std::to_string(status) + " at " +
                                        line.str("time") + " " + line.str("error") + "\n";
    if (status < 200 || status >= 300 || opened_none)
      continue;
    const std::string sid = line.str("session");
    const std::string type = line.event_type();
    fail_unless(line.findings().empty(), "the collector found %s on %s to %s",
                line.findings().c_str(), type.c_str(), sid.c_str());
    fail_unless(!sid.empty(), "a %s answered %" G_GINT64_FORMAT " to no session",
                type.c_str(), status);
    if (type == "sessionStart")
      out.resumed[sid] = resume_param(line);
    out.sessions[sid].push_back({type, ts_of(line)});
  }
  return out;
}

// ---------------------------------------------------------------------------
// The one check of every case.

// What a case added up to, for its summary line.
struct Tally {
  guint64 generated = 0, delivered = 0, dropped = 0;
  std::map<std::string, guint64> dropped_by;
  size_t sessions = 0, resumed = 0;
};

bool is_playback_state(const std::string &type) {
  return type == "play" || type == "pauseStart" || type == "bufferStart";
}

// A resumed session goes on in the playback state the viewing was in (spec
// §4.3: "continue, e.g. with play"; without it the back end counts no
// playing time in it): once a play, pauseStart or bufferStart was accepted,
// the first event sent on a resumed session after its sessionStart (and
// after the player states sent again, §4.3 step 3) is one of them. It may
// still be refused: a 404 to a playback state the client gave up resuming
// for (max resumes) is dropped, and the session goes on without it. (Before
// a state there is none to continue.)
void check_resumes_continue(const Run &r, const Accepted &accepted) {
  bool in_a_state = false;
  const std::vector<Report> &reports = r.reports;
  for (size_t i = 0; i < reports.size(); i++) {
    const Report &rep = reports[i];
    if (!rep.ok())
      continue;
    if (rep.type == "sessionStart" && rep.resume && in_a_state) {
      for (size_t j = i + 1; j < reports.size(); j++) {
        if (reports[j].sid != rep.sid || reports[j].type == "statesUpdate")
          continue;
        fail_unless(
            is_playback_state(reports[j].type),
            "%s: resumed session %s goes on with %s, not with the playback "
            "state:\n%s",
            playback_name(r.playback), rep.sid.c_str(), reports[j].type.c_str(),
            accepted.history.count(rep.sid) ? accepted.history.at(rep.sid).c_str() : "");
        break;
      }
    }
    in_a_state = in_a_state || is_playback_state(rep.type);
  }
}

bool allowed(const FaultCase &fault_case, Playback playback, const std::string &reason) {
  if (reason == "flush" && playback == Playback::kAbandon && fault_case.flush_on_abandon)
    return true;
  return std::find(fault_case.may_drop.begin(), fault_case.may_drop.end(), reason) !=
         fault_case.may_drop.end();
}

// Every event each element generated arrived exactly once, in order, in the
// session it was reported in, or was dropped for a reason the case allows;
// no session arrived that an element did not report; each playback's
// sessions after its first are resumes.
Tally account_for_every_event(const FaultCase &fault_case,
                              const std::vector<std::unique_ptr<Run>> &runs,
                              const Accepted &accepted) {
  Tally tally;
  std::map<std::string, std::vector<Delivery>> reported;
  for (const auto &run : runs) {
    const Run &r = *run;
    const char *name = playback_name(r.playback);
    const Stats &s = r.stats;
    fail_unless(s.queued == 0, "%s: %" G_GUINT64_FORMAT " events still queued in NULL",
                name, s.queued);
    // Delivered: the endpoint accepted it, or it is a sessionEnd to a
    // session already gone (404/410: nothing left to end). What a resume
    // sends (its sessionStart, the state it re-sends) is the client's own,
    // not a generated event.
    guint64 delivered = 0;
    std::vector<std::string> sids;
    for (const Report &rep : r.reports) {
      if (rep.ok() && !rep.resume)
        delivered++;
      else if (rep.type == "sessionEnd" && (rep.status == 404 || rep.status == 410))
        delivered++;
      if (!rep.ok())
        continue;
      reported[rep.sid].push_back({rep.type, rep.ts});
      if (rep.type != "sessionStart")
        continue;
      // A playback's first session is a new viewing, every later one resumes it.
      fail_unless(rep.resume == !sids.empty(),
                  "%s: session %s is %sa resume, but it is the playback's session #%zu",
                  name, rep.sid.c_str(), rep.resume ? "" : "not ", sids.size() + 1);
      fail_unless(
          accepted.resumed.count(rep.sid) && accepted.resumed.at(rep.sid) == rep.resume,
          "%s: the sessionStart of %s arrived without media.resume=%s", name,
          rep.sid.c_str(), rep.resume ? "true" : "false");
      sids.push_back(rep.sid);
    }
    check_resumes_continue(r, accepted);
    fail_unless(delivered == s.sent,
                "%s: %" G_GUINT64_FORMAT
                " events reported delivered, stats say %" G_GUINT64_FORMAT " sent",
                name, delivered, s.sent);
    fail_unless(s.generated == s.sent + s.dropped,
                "%s: %" G_GUINT64_FORMAT " generated, %" G_GUINT64_FORMAT
                " sent + %" G_GUINT64_FORMAT " dropped: events unaccounted for",
                name, s.generated, s.sent, s.dropped);
    guint64 by_reason = 0;
    for (const auto &[reason, count] : s.dropped_by) {
      by_reason += count;
      fail_unless(count == 0 || allowed(fault_case, r.playback, reason),
                  "%s: %" G_GUINT64_FORMAT
                  " events dropped (%s), which case %s allows "
                  "none of",
                  name, count, reason.c_str(), fault_case.name.c_str());
      tally.dropped_by[reason] += count;
    }
    fail_unless(by_reason == s.dropped,
                "%s: %" G_GUINT64_FORMAT " dropped, %" G_GUINT64_FORMAT " by reason",
                name, s.dropped, by_reason);
    // A playback that could lose its sessionStart to no-session drops has
    // none; any other has one.
    fail_unless(!sids.empty() || allowed(fault_case, r.playback, "no-session") ||
                    allowed(fault_case, r.playback, "flush"),
                "%s: no session", name);
    tally.generated += s.generated;
    tally.delivered += delivered;
    tally.dropped += s.dropped;
    tally.sessions += sids.size();
    tally.resumed += sids.empty() ? 0 : sids.size() - 1;
  }
  // Exactly what the elements were told was accepted arrived, session by
  // session, in order: nothing twice, nothing lost, no session of its own.
  for (const auto &[sid, events] : accepted.sessions) {
    auto it = reported.find(sid);
    fail_unless(it != reported.end(),
                "session %s arrived, but no element reported it (a duplicate "
                "session?):\n%s",
                sid.c_str(), describe(events).c_str());
    fail_unless(it->second == events,
                "session %s: the collector accepted\n%sthe element reported\n%sthe "
                "record:\n%s",
                sid.c_str(), describe(events).c_str(), describe(it->second).c_str(),
                accepted.history.at(sid).c_str());
  }
  for (const auto &[sid, events] : reported)
    fail_unless(accepted.sessions.count(sid) != 0,
                "reported session %s never arrived:\n%s", sid.c_str(),
                describe(events).c_str());
  if (fault_case.expect_resume)
    fail_unless(tally.resumed > 0, "%s: no playback opened a resumed session",
                fault_case.name.c_str());
  return tally;
}

struct Outcome {
  Tally tally;
  int64_t longest_gap_ms = 0;
  int64_t longest_shutdown_ms = 0;
  size_t attempts = 0;
};

// Plays the case and checks it: first what the pipelines showed (the gaps
// against `gap_limit`, when there is a baseline; the shutdowns), then every
// event.
Outcome play_and_check(const FaultCase &fault_case, std::optional<int64_t> gap_limit) {
  std::vector<std::string> args = scenario::collector_args();
  args.insert(args.end(), fault_case.collector_args.begin(),
              fault_case.collector_args.end());
  Collector c(args);
  std::vector<std::unique_ptr<Run>> runs = play_all(fault_case, c);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  Outcome out;
  for (const auto &run : runs) {
    const char *name = playback_name(run->playback);
    const int64_t gap = run->flow->longest_gap_ms();
    fail_unless(!gap_limit || gap <= *gap_limit,
                "%s, %s: a gap of %" G_GINT64_FORMAT
                " ms between buffers at the sink, over the limit of %" G_GINT64_FORMAT
                " ms (gap_limit_ms() of the case without faults)",
                fault_case.name.c_str(), name, gap, gap_limit.value_or(0));
    fail_unless(run->shutdown_ms <= shutdown_limit_ms(),
                "%s, %s: going to NULL took %" G_GINT64_FORMAT
                " ms, flush-timeout is %" G_GINT64_FORMAT " ms (limit %" G_GINT64_FORMAT
                " ms)",
                fault_case.name.c_str(), name, run->shutdown_ms, flush_timeout_ms(),
                shutdown_limit_ms());
    out.longest_gap_ms = std::max(out.longest_gap_ms, gap);
    out.longest_shutdown_ms = std::max(out.longest_shutdown_ms, run->shutdown_ms);
  }
  const Accepted accepted = read_accepted(c.record());
  out.tally = account_for_every_event(fault_case, runs, accepted);
  out.attempts = accepted.attempts;
  return out;
}

void print_summary(const FaultCase &fault_case, const Outcome &o, int64_t baseline_ms) {
  const Tally &t = o.tally;
  std::string args;
  for (const std::string &a : fault_case.collector_args)
    args += (args.empty() ? "" : " ") + a;
  g_print("fault-case %s [%s]: playbacks=%zu generated=%" G_GUINT64_FORMAT
          " delivered=%" G_GUINT64_FORMAT " dropped=%" G_GUINT64_FORMAT
          " (overflow=%" G_GUINT64_FORMAT " rejected=%" G_GUINT64_FORMAT
          " no-session=%" G_GUINT64_FORMAT " flush=%" G_GUINT64_FORMAT
          ") requests=%zu sessions=%zu resumed=%zu max-gap=%" G_GINT64_FORMAT
          "ms baseline=%" G_GINT64_FORMAT "ms limit=%" G_GINT64_FORMAT
          "ms max-shutdown=%" G_GINT64_FORMAT "ms flush-timeout=%" G_GINT64_FORMAT "ms\n",
          fault_case.name.c_str(), args.c_str(), fault_case.playbacks.size(), t.generated,
          t.delivered, t.dropped, t.dropped_by.at("overflow"),
          t.dropped_by.at("rejected"), t.dropped_by.at("no-session"),
          t.dropped_by.at("flush"), o.attempts, t.sessions, t.resumed, o.longest_gap_ms,
          baseline_ms, gap_limit_ms(baseline_ms), o.longest_shutdown_ms,
          flush_timeout_ms());
}

}  // namespace

const char *playback_name(Playback playback) {
  switch (playback) {
    case Playback::kEnd:
      return "end";
    case Playback::kPause:
      return "pause";
    case Playback::kSeek:
      return "seek";
    case Playback::kBuffering:
      return "buffering";
    case Playback::kAbandon:
      return "abandon";
  }
  return "?";
}

TCase *add_faults_tcase(Suite *suite, int timeout_s) {
  TCase *tc = scenario::add_scenario_tcase(suite, timeout_s);
  tcase_add_unchecked_fixture(tc, make_clip, [] { g_clip_path.clear(); });
  return tc;
}

int64_t flush_timeout_ms() {
  return scaled_ms(kFlushTimeoutMs);
}

int64_t shutdown_limit_ms() {
  return scaled_ms(kFlushTimeoutMs + kShutdownMarginMs);
}

int64_t gap_limit_ms(int64_t baseline_ms) {
  return std::max(2 * baseline_ms, baseline_ms + scaled_ms(kGapSlackMs));
}

int64_t baseline_gap_ms() {
  g_autofree char *text = nullptr;
  if (g_file_get_contents(baseline_path().c_str(), &text, nullptr, nullptr))
    return g_ascii_strtoll(text, nullptr, 10);
  const FaultCase baseline{"baseline", {}};
  const Outcome o = play_and_check(baseline, std::nullopt);
  print_summary(baseline, o, o.longest_gap_ms);
  const std::string value = std::to_string(o.longest_gap_ms);
  fail_unless(g_file_set_contents(baseline_path().c_str(), value.c_str(), -1, nullptr),
              "cannot write %s", baseline_path().c_str());
  return o.longest_gap_ms;
}

void run_case(const FaultCase &fault_case) {
  const int64_t baseline = baseline_gap_ms();
  const Outcome o = play_and_check(fault_case, gap_limit_ms(baseline));
  print_summary(fault_case, o, baseline);
}

}  // namespace faults
