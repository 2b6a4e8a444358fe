// The fixture of the element tests that run real pipelines through
// mediaanalytics against the real collector process
// (tests/collector/collector-process.h): the pipeline and its observed bus,
// the application API's action signals, and reading the collector's record.
// Compiled once (tests/element/meson.build) and linked into those tests.

#pragma once

#include "collector-process.h"

#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace element_test {

using collector_test::Collector;
using collector_test::Line;
using collector_test::Lines;

// The collector's arguments: pings every `ping_ms` (1 s unless a test scales
// it) on content and, with `ad_pings`, in ads, as the element is configured
// by the tests.
std::vector<std::string> collector_args(bool ad_pings = false, int64_t ping_ms = 1000);

// ---------------------------------------------------------------------------
// The bus, observed in the posting thread by a sync handler (nothing is lost
// when the pipeline flushes its bus at NULL; a rejected call's WARNING is
// there when the call returns).

struct Message {
  std::string source;
  std::string text;
  std::string debug;

  // "source: text (debug)".
  std::string str() const;
};

struct Observed {
  std::mutex lock;
  std::vector<Message> warnings;       // from the element ("ma")
  std::vector<Message> errors;         // from anyone
  std::vector<GstStructure *> events;  // copies of the mediaanalytics-event structures
  GThread *event_thread = nullptr;     // where the latest event was posted
  std::vector<guint64> dropped;        // the dropped count of each QOS of "sink"

  Observed() = default;
  ~Observed();
  Observed(const Observed &) = delete;
  Observed &operator=(const Observed &) = delete;

  // The number of mediaanalytics-event messages (of event-type `type`).
  size_t report_count();
  size_t count_of(const char *type);
  // Waits up to `timeout_ms` (scaled, see scaled_ms()) until `count`
  // mediaanalytics-event messages of `type` were posted (i.e. the collector
  // answered them); fails the test otherwise.
  void wait_reports(const char *type, size_t count = 1, int64_t timeout_ms = 10000);
  size_t warning_count();
  // The dropped count of the latest QOS message of the element named "sink"
  // (0: none yet).
  guint64 last_dropped();
  std::string last_warning();  // "" when none
  std::string all_warnings();  // describe(warnings)
  // "[source: text (debug)] " for each; the caller holds `lock`.
  static std::string describe(const std::vector<Message> &messages);
  // No WARNING from the element, no ERROR from anyone.
  void expect_quiet();
};

GstBusSyncReply on_message(GstBus *bus, GstMessage *message, gpointer data);

// Sets the required properties of mediaanalytics `ma` for `endpoint`, and
// the ping intervals when not 0 and `media_name` when given (else the
// element's defaults).
void configure_element(GstElement *ma, const std::string &endpoint, const char *media_id,
                       guint64 ping_interval = 0, const char *media_name = nullptr,
                       guint64 ad_ping_interval = 0);

// A pipeline from `desc`, which names its mediaanalytics element "ma", its bus
// observed.
struct Pipeline {
  GstElement *pipeline = nullptr;
  GstElement *ma = nullptr;
  GstBus *bus = nullptr;
  Observed observed;
  GstClockTime eos_timeout = 10 * GST_SECOND;  // of wait_eos(), scaled there

  explicit Pipeline(const std::string &desc);
  ~Pipeline();
  Pipeline(const Pipeline &) = delete;
  Pipeline &operator=(const Pipeline &) = delete;

  void configure(const std::string &endpoint, const char *media_id,
                 guint64 ping_interval = 0, const char *media_name = nullptr,
                 guint64 ad_ping_interval = 0) {
    configure_element(ma, endpoint, media_id, ping_interval, media_name,
                      ad_ping_interval);
  }

  GstElement *element(const char *name);
  void set_preroll_wait(guint64 ns);

  // Sets `state` and waits until the pipeline is there.
  void set_state(GstState state);

  // The stream position the sink presents, in seconds; -1 when there is none
  // yet, unless `required` (then the query must succeed).
  double position(bool required = false);
  // Waits until the sink presents `seconds` or more.
  void wait_position(double seconds);

  // Asks the source to end the stream; waits for EOS.
  void end_stream();
  // Waits for EOS (up to eos_timeout); fails on an ERROR.
  void wait_eos();

  // Observed::wait_reports().
  void wait_reports(const char *type, size_t count = 1, int64_t timeout_ms = 10000) {
    observed.wait_reports(type, count, timeout_ms);
  }

  void expect_no_warnings() { observed.expect_quiet(); }

  // The session-id property; "" when none.
  std::string session_id();
  // A field of the stats property.
  guint64 stat(const char *field);
};

// ---------------------------------------------------------------------------
// When the viewer saw the stream: an event that marks a stream position (an
// in-band call, a chapter boundary) must go out when the sink presents that
// position, and the sink presents it when the pipeline gets there, which
// under valgrind may be later than the wall time since the play says.

class Presentation {
 public:
  // Records when the fakesink `sink` presents each buffer (its handoff,
  // after the clock wait) from now on. Call before the pipeline leaves NULL;
  // the Presentation must outlive the pipeline.
  void watch(GstElement *sink);

  // The UTC time, in ms as playerTime.ts, at which `seconds` of the stream
  // was presented: that of the latest buffer starting at or before it, plus
  // the rest. Fails the test when no buffer before it was presented.
  int64_t utc_ms_at(double seconds);
  // The stream time, in seconds, of the latest buffer presented so far: where
  // the viewer is, which a slowed process (valgrind) presents behind the
  // position the pipeline answers from its clock. Fails the test when none was.
  double latest_seconds();

 private:
  static void on_handoff(GstElement *, GstBuffer *buffer, GstPad *, gpointer data);

  std::mutex lock_;
  std::vector<std::pair<GstClockTime, int64_t>> presented_;  // PTS, UTC ms
};

// ---------------------------------------------------------------------------
// The application API's action signals. Structures are written in
// GStreamer's string form, e.g. "ad, media.ad.podIndex=(int)0,
// media.ad.podSecond=(double)0"; field names are the wire keys.

// Parses `text` (NULL for none); fails the test when it cannot.
GstStructure *structure(const char *text);

// An action signal that takes params (and, `with_custom`, custom metadata,
// NULL for none).
gboolean emit_structures(GstElement *ma, const char *signal, const char *params,
                         const char *custom, bool with_custom);
gboolean ad_break_start(GstElement *ma, const char *params);
gboolean ad_start(GstElement *ma, const char *params, const char *custom = nullptr);
gboolean chapter_start(GstElement *ma, const char *params, const char *custom = nullptr);
// state-start, state-end.
gboolean state_call(GstElement *ma, const char *signal, const char *name);
gboolean track_error(GstElement *ma, const char *id, const char *source);
// ad-complete, ad-skip, ad-break-complete, chapter-complete, chapter-skip,
// end-session.
gboolean closing_call(GstElement *ma, const char *signal);

// ---------------------------------------------------------------------------
// An appsrc of 64x48 BGRx frames at 25/s, fed through its action signals
// (no link to libgstapp).

inline constexpr char kAppSrc[] =
    "appsrc name=src format=time max-bytes=0 "
    "caps=video/x-raw,format=BGRx,width=64,height=48,framerate=25/1";

// Pushes frames `from` to `to` (excluded), each 1/25 s at its index.
void push_frames(GstElement *src, int from, int to);
// Ends the stream after the frames pushed.
void end_frames(GstElement *src);

// ---------------------------------------------------------------------------
// The record.

JsonObject *body_of(const Line &line);
int64_t ts_of(const Line &line);
double playhead_of(const Line &line);
JsonObject *params_of(const Line &line);
std::string json_of(JsonObject *object);
// The object member `name` of the body, as compact JSON ("" when missing).
std::string member_json(const Line &line, const char *name);
// The integer `key` of the line's qoeData; none when it (or qoeData) is
// missing.
std::optional<int64_t> qoe(const Line &line, const char *key);
// What a line is, for messages: its type, playhead, params and qoeData (when
// there).
std::string describe(const Line &line);
// describe() of each request but the pings.
std::string describe_all(const Lines &requests);

std::string joined(const std::vector<std::string> &types);
// The event types, space-separated; the pings too when `with_pings`.
std::string types_of(const Lines &requests, bool with_pings = true);
inline std::string types_without_pings(const Lines &requests) {
  return types_of(requests, false);
}

// Stops the collector and checks its record: one session whose events other
// than pings are one of `accepted` (alternatives; in order), every request
// accepted (201 for the sessionStart, 204 after), ts strictly increasing, no
// findings on any request nor on the session's end. Returns the requests,
// pings included.
Lines check_session(Collector &c, const std::vector<std::vector<std::string>> &accepted);
Lines check_session(Collector &c, const std::vector<std::string> &expected);

// The index of the `n`th (from 0) request of `type`.
size_t index_of(const Lines &requests, const char *type, int n = 0);

}  // namespace element_test
