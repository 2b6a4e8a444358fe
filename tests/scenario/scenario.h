// The fixture of the end-to-end scenario tests (issue 4): real pipelines with
// the mediaanalytics element, driven the way an application drives them (a
// main loop handling the bus as gst-launch and gst-play do), reporting to the
// real collector process (tests/collector/collector-process.h). Every check
// is on what ARRIVED at the collector, read from its record: the event types
// per session, their playheads and params, the pings, and the collector's
// findings. What the element believes it sent is never looked at.
//
// What is here: the media the tests play (made once per test binary, in the
// parent of the forked tests), the element's configuration, the application
// (Player), a throttled HTTP server for the network scenarios (HttpServer),
// and the record read as sessions with the checks every scenario shares.
#pragma once

#include "collector-process.h"

#include <gst/gst.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace scenario {

using collector_test::Collector;
using collector_test::Line;
using collector_test::Lines;

// ---------------------------------------------------------------------------
// Settings every scenario shares.

// The element's ping-interval (its minimum, to keep the suite short) and the
// collector's --main-ping: the same, so that a missing ping shows up as a
// gap-too-long finding.
inline constexpr int kPingMs = 1000;

// The collector's arguments for a scenario.
std::vector<std::string> collector_args();

// The clip every file scenario plays: 6 s of moving test pattern, 320x240 at
// 25 fps, Theora in Matroska, keyframe every second (cheap accurate seeks),
// with the title tag below. Made once per test binary by the test case's
// unchecked fixture (add_scenario_tcase).
inline constexpr double kClipSeconds = 6.0;
inline constexpr char kClipTitle[] = "Scenario clip";
const std::string &clip_path();
std::string clip_uri();

// Makes a media file `file_name` in the test case's directory with
// `gst-launch-1.0 -q <description> ! filesink location=<path>`, in a child
// process (no GStreamer thread in the test's process: this also runs in the
// parent of the forked tests), and returns its path.
std::string make_media(const char *file_name, const std::string &description);

// The test case of a scenario binary: the temporary directory (the
// collector's runs, the clip), the clip made once, a timeout in seconds, and
// SIGPIPE ignored.
TCase *add_scenario_tcase(Suite *suite, int timeout_s = 60);

// ---------------------------------------------------------------------------
// The element.

// Sets what every scenario element needs: the collector as endpoint, the
// required Adobe ids, and ping-interval = kPingMs. media-id, media-name,
// media-length and content-type stay unset: they come from the pipeline.
void configure(GstElement *ma, const Collector &c);

// A guint64 property, failing the test with a clear message when the
// element does not have it (a property that does not exist yet would only
// give a g_warning).
void set_ns_property(GstElement *ma, const char *name, guint64 value);

// "mediaanalytics name=ma <the properties of configure()>", for launch lines
// (and for gst-play-1.0's --videosink).
std::string element_description(const Collector &c);

// The gst-launch way of playing the clip in real time:
// `filesrc ! decodebin ! mediaanalytics name=ma ! fakesink sync=true`.
// Once only: the launch line links decodebin's pad once, and a decodebin
// started again makes new pads.
std::string file_pipeline(const Collector &c);

// `factory` (playbin or playbin3) on `uri` (the clip by default), with a
// configured mediaanalytics (named ma) as its video-filter and fakesinks in
// real time: the way an application plays the clip.
GstElement *make_playbin(const char *factory, const Collector &c,
                         const std::string &uri = clip_uri());

// ---------------------------------------------------------------------------
// The application.

// A pipeline driven like an application does: the test calls play(), pause(),
// seek(), stop(), and meanwhile runs the application's main loop (run_until,
// run_for), whose bus watch handles messages as gst-play-1.0 does (and
// gst-launch-1.0 once it plays): BUFFERING below 100 % pauses a non-live
// pipeline the application wants PLAYING, 100 % resumes it; EOS and ERROR
// are recorded for the test, which then stops the pipeline.
class Player {
 public:
  // Takes ownership of `pipeline` (a floating reference is sunk).
  explicit Player(GstElement *pipeline);
  // gst_parse_launch(description).
  explicit Player(const std::string &description);
  ~Player();
  Player(const Player &) = delete;
  Player &operator=(const Player &) = delete;

  GstElement *pipeline() const { return pipeline_; }
  // The element named `name` in the pipeline (a borrowed pointer); fails the
  // test when there is none.
  GstElement *element(const char *name) const;

  // The application wants PLAYING, at once (as gst-play does; held back
  // while buffering).
  void play();
  // The application wants PAUSED.
  void pause();
  // A flushing, accurate seek to `position_s` at `rate`; fails the test when
  // the pipeline refuses it.
  void seek(double position_s, double rate = 1.0);
  // An instant rate change (GST_SEEK_FLAG_INSTANT_RATE_CHANGE, no flush, no
  // new position): playback goes on where it is at `rate`. Returns whether
  // the pipeline took it (it needs a demuxer that implements it).
  bool change_rate_instantly(double rate);
  // Stops like gst-launch-1.0 does after EOS, an ERROR or an interrupt: the
  // pipeline goes to NULL at once. The element flushes its reports then.
  void stop();

  // Runs the application's main loop until `done` returns true (checked
  // every few ms) or `timeout_ms` passed; returns whether `done` held.
  bool run_until(const std::function<bool()> &done, int timeout_ms);
  // Runs the application's main loop for `ms`: the scenario's own timing
  // (a pause of 2 s), not a wait for something to happen.
  void run_for(int ms);
  // The run_until_* below wait for the pipeline: their `timeout_ms` is
  // written for a native run and grows under valgrind (late_ms()).
  //
  // Runs until EOS; fails the test on an ERROR or after `timeout_ms`.
  void run_until_eos(int timeout_ms = 20000);
  // Runs until the pipeline's current state is `state` and no change is
  // pending; fails the test after `timeout_ms`.
  void run_until_state(GstState state, int timeout_ms = 10000);
  // Runs until the pipeline's position is at least `position_s`; fails the
  // test after `timeout_ms`.
  void run_until_position(double position_s, int timeout_ms = 10000);

  // The pipeline's position in seconds, -1 when it does not answer.
  double position() const;

  bool eos() const { return eos_; }
  // Forgets the EOS seen so far (after a flushing seek or a stop, the
  // pipeline plays again): eos() then tells of the next one.
  void forget_eos() { eos_ = false; }
  // Whether the pipeline ever reached PLAYING.
  bool has_played() const { return has_played_; }
  // The first ERROR the application saw, or nullptr.
  const GError *error() const { return error_; }
  const std::string &error_source() const { return error_source_; }

  // The BUFFERING percentages the application saw, in order, each with
  // whether the pipeline had already been PLAYING when it came.
  struct Buffering {
    int percent;
    bool after_playing;
  };
  const std::vector<Buffering> &buffering() const { return buffering_log_; }

  // Where the pipeline and the application stand (states, buffering), for
  // the message of a wait that timed out.
  std::string describe() const;

 private:
  static gboolean on_message(GstBus *bus, GstMessage *message, gpointer self);
  void handle(GstMessage *message);
  void set_state(GstState state);

  GstElement *pipeline_ = nullptr;
  GMainContext *context_ = nullptr;
  GSource *bus_watch_ = nullptr;
  GstState target_ = GST_STATE_NULL;  // what the application wants
  bool waiting_for_buffer_ = false;   // paused for buffering
  bool live_ = false;                 // PLAYING answered NO_PREROLL
  bool has_played_ = false;           // the pipeline reached PLAYING once
  bool eos_ = false;
  GError *error_ = nullptr;
  std::string error_source_;
  std::vector<Buffering> buffering_log_;
};

// ---------------------------------------------------------------------------
// What passed a pad.

// The current time as the record stamps events (playerTime.ts, UTC ms).
int64_t utc_now_ms();

// Logs what passes a pad downstream, and when (UTC ms, comparable with the
// record's ts): for checking that a scenario happened as designed, e.g.
// that GAP events reached the element in time, or when its own stream
// ended. What the element did about it is only read from the record.
class PadLog {
 public:
  // In the kinds of times(): a buffer (no event has that type).
  static constexpr GstEventType kBuffer = GST_EVENT_UNKNOWN;

  // Logs from now on what passes `element`'s pad `pad_name`.
  PadLog(GstElement *element, const char *pad_name);
  ~PadLog();
  PadLog(const PadLog &) = delete;
  PadLog &operator=(const PadLog &) = delete;

  // When the buffers (kBuffer) and downstream events of the given types
  // passed, in order.
  std::vector<int64_t> times(std::initializer_list<GstEventType> kinds) const;
  // The longest time between two consecutive entries of `times`; 0 for
  // fewer than two.
  static int64_t longest_wait(const std::vector<int64_t> &times);

 private:
  struct Entry {
    int64_t utc_ms;
    GstEventType kind;
  };
  static GstPadProbeReturn on_probe(GstPad *pad, GstPadProbeInfo *info, gpointer self);

  GstPad *pad_ = nullptr;
  gulong probe_ = 0;
  mutable std::mutex lock_;  // the streaming threads append
  std::vector<Entry> entries_;
};

// ---------------------------------------------------------------------------
// A throttled HTTP server: a SoupServer on 127.0.0.1 in its own thread (with
// its own GMainContext) serving one file at /clip.mkv in parts: each part
// goes out at once (as fast as the connection takes it), `delay_ms` after
// the previous one was written. After the last part: the end of the file
// (a part `until` 1.0), or, when `cut`, the connection is shut down and the
// client sees the body end early.
//
// `range_status` 0: "Accept-Ranges: none", every request gets the plan.
// Otherwise the server says it takes byte ranges, and a request with a Range
// header (a seek, or a client resuming after a cut) is answered, after
// `range_delay_ms` (a slow server), 206 with that range at once, or with
// `range_status` and no body when that is not 206.
struct HttpPart {
  double until;  // the part ends at this fraction of the file
  int delay_ms;  // after the previous part was written
};

struct HttpPlan {
  std::vector<HttpPart> parts;
  bool cut = false;
  unsigned range_status = 0;
  int range_delay_ms = 0;
};

class HttpServer {
 public:
  HttpServer(const std::string &path, HttpPlan plan);
  ~HttpServer();
  HttpServer(const HttpServer &) = delete;
  HttpServer &operator=(const HttpServer &) = delete;

  // http://127.0.0.1:PORT/clip.mkv
  const std::string &url() const { return url_; }
  // How many GET requests it got (read after the pipeline stopped).
  int requests() const;

  struct State;  // the server thread's state (scenario.cpp)

 private:
  State *state_ = nullptr;
  GThread *thread_ = nullptr;
  std::string url_;
};

// ---------------------------------------------------------------------------
// The record, read as sessions.

// One request that reached the collector, with its body's event.
struct Event {
  Line line;
  std::string type;
  int64_t ts = 0;  // playerTime.ts, UTC ms
  double playhead = 0;

  // params members; nullopt / "" when missing or of another type.
  std::string str_param(const char *key) const;
  std::optional<double> num_param(const char *key) const;
  std::optional<bool> bool_param(const char *key) const;
};

struct Session {
  std::string id;
  std::vector<Event> events;  // in the order they arrived
  std::optional<Line> closed;

  // The event types without the pings.
  std::vector<std::string> sequence() const;
  std::vector<const Event *> pings() const;
  // The `nth` event (from 0) of `type`; fails the test when there is none.
  const Event &nth(const char *type, size_t nth = 0) const;
  // The session, one line per event (time since sessionStart, playhead,
  // type, params): for the failure messages.
  std::string timeline() const;
};

// Stops the collector, reads its record and returns the sessions in the
// order they were opened, after the checks every scenario shares:
//  - every request went to a session, was answered 201 (sessionStart) or
//    204, and has no findings; every session-closed line has no findings;
//  - ts strictly increases within each session.
std::vector<Session> finish(Collector &c);

// The only session of the record; fails the test (with every session's
// timeline) when there are several.
const Session &single(const std::vector<Session> &sessions);

// The event types of `s` without pings must be exactly `expected`.
void check_sequence(const Session &s, const std::vector<std::string> &expected);

// |actual - expected| <= tolerance, with the session's timeline in the
// failure message.
void check_near(const Session &s, const char *what, double actual, double expected,
                double tolerance);

// How late the test's process (the pipeline, the element, its sending thread)
// may be, given what a native run allows: `native_ms` as it is natively,
// scaled under valgrind (collector_test::scaled_ms), where that process runs
// many times slower while the clock, the media's timing and the collector do
// not.
int64_t late_ms(int64_t native_ms);

// A time (s) that the test's process makes, or the playhead it reads when it
// gets there (the first play's): `actual` is `expected` - `tolerance` at the
// earliest (never scaled: what must not happen early stays so) and
// `expected` + late_ms(tolerance) at the latest.
void check_time_near(const Session &s, const char *what, double actual, double expected,
                     double tolerance);

// A playhead (s) the element reports against a position the test asked the
// pipeline for: the pipeline answers from its clock, the element from the
// data it saw, which a slowed process (under valgrind) decodes behind the
// clock. `actual` is `expected` + `tolerance` at most and `expected` -
// late_ms(tolerance) at least.
void check_playhead_near(const Session &s, const char *what, double actual,
                         double expected, double tolerance);

// The pings of a session are on the grid: the k-th ping at sessionStart +
// k × kPingMs (a little late allowed: late_ms(400)), none missing before the
// session's last event, none after it.
void check_ping_grid(const Session &s);

// A change of the presentation's speed that no event reports (an instant
// rate change): from `utc_ms` on, the presentation runs at `rate`.
struct RateChange {
  int64_t utc_ms;
  double rate;
};

// check_ping_grid, and each ping has a plausible playhead: while playing
// (after a play), the play's playhead plus the wall time since × that play's
// rate (and × the rate of each of `changes` from its time on), never beyond
// the playhead of the event that ends the playing; otherwise (starting,
// paused, buffering, after an error) between the playheads of the events
// around it. `rates[i]` is the rate of the i-th play (1.0 when not given).
// Not for live sessions, whose playheads follow the clock
// (check_live_playheads).
void check_pings(const Session &s, const std::vector<double> &rates = {},
                 const std::vector<RateChange> &changes = {});

// Live content: every playhead (pings included) is the UTC second of the
// day of its ts, within 1 s (modulo a day, across midnight).
void check_live_playheads(const Session &s);

// The checks of a VOD sessionStart: media.contentType "VOD", media.length
// the clip's duration (within 0.1 s).
void check_vod_start(const Session &s, double length = kClipSeconds);

// A sessionComplete at the end of the clip: its playhead close to
// media.length (within 0.5 s: the last frame starts 40 ms before the end and
// the playhead may lag the presentation by a frame or two) but strictly
// below it (the collector's playhead range for VOD is [0, length)).
void check_complete_at_end(const Session &s);

// One session of the clip played to the end: sessionStart, play,
// sessionComplete, a VOD start with the file's URI as media.id and the title
// tag as media.name, the sessionStart and the play at playhead 0 (within
// `playhead_leeway` s), the sessionComplete at the end, the pings on time.
void check_clip_to_end(const Session &s, double playhead_leeway);

// A session of the clip played to the end with one interruption (a pause or
// a seek): sessionStart, play, pauseStart, play, sessionComplete, a VOD
// start, and the pauseStart at playhead `paused_at` (within 0.3 s). Returns
// the pauseStart and the play after it.
struct Interruption {
  const Event &pause;
  const Event &resume;
};
Interruption check_interrupted(const Session &s, double paused_at);

// The clip played through file_pipeline(): play(), then `drive`, then stop().
// Returns what the collector got (finish()).
std::vector<Session> play_file(const std::function<void(Player &)> &drive);

}  // namespace scenario
