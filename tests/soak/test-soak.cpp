// The randomized soak (issue 7): one playbin with mediaanalytics as its
// video-filter, on a clip made at test time, driven through operations drawn
// from a seeded generator (seeks of every kind, pause, play, rate changes,
// READY, NULL and back, EOS waited for or forced, the application API by
// signal and in-band, QoS and bitrate, waits), while the collector process
// injects faults drawn from the same generator (a new collector, with new
// faults, every round of a few dozen operations).
//
// Checked as it goes: after every batch of steps, the collector's record
// (no finding on any request or closure, every answer a success or an
// injected fault), and after every step the pipeline (no ERROR, the state
// the application asked for reached). At every stop of the element (the
// application's NULL, and playsink's when the pipeline goes to READY): its
// stats account for everything it generated (sent + dropped, nothing
// queued); after the application's NULL the sending thread is gone. At the
// end of each round: every event the element counted as sent was accepted
// by the collector. At the end: no thread is left, and no GstObject or
// GstMiniObject created after the first round is still alive (GStreamer's
// leaks tracer).
//
// The seed and the number of operations are printed first
// ("soak seed=N ops=M"); MEDIAANALYTICS_SOAK_SEED and MEDIAANALYTICS_SOAK_OPS
// replay a run or make a long one, MEDIAANALYTICS_SOAK_VERBOSE=1 prints every
// step, MEDIAANALYTICS_SOAK_KEEP_GOING=1 collects the collector's findings
// (printed with their session's timeline) and fails only at the end.

#include "app-calls.h"
#include "census.h"
#include "element-stops.h"
#include "faults.h"
#include "in-band.h"
#include "record-audit.h"
#include "scenario.h"

#include <deque>
#include <memory>
#include <string>
#include <vector>

using namespace scenario;

namespace {

// The CI run: a fixed seed, about 35 s of wall time on 2 cores (45 s when
// the machine is busy).
constexpr guint32 kDefaultSeed = 7;
constexpr int kDefaultOps = 100;
// The record is read after every batch of this many steps.
constexpr int kBatch = 10;
// A stop waits this long for the element to deliver what it queued.
constexpr guint64 kFlushTimeout = 3 * GST_SECOND;
// State changes of playbin, seeks included, under a sanitizer on a busy machine.
constexpr int kStateTimeoutMs = 15000;
// The same, as the run goes: scaled (collector_test::scaled_ms), valgrind
// slows the pipeline down.
int state_timeout_ms() {
  return static_cast<int>(collector_test::scaled_ms(kStateTimeoutMs));
}

guint32 env_number(const char *name, guint32 fallback) {
  const char *value = g_getenv(name);
  return value && *value ? static_cast<guint32>(g_ascii_strtoull(value, nullptr, 10))
                         : fallback;
}

class Soak {
 public:
  Soak(guint32 seed, int ops, std::string uri)
      : rand_(g_rand_new_with_seed(seed)), ops_(ops), uri_(std::move(uri)) {}
  ~Soak() { g_rand_free(rand_); }

  void run();

 private:
  // One round: a collector with its faults, the element pointed at it.
  void start_round();
  // The pipeline to NULL (its stats accounted), the collector stopped and
  // its record checked to the end.
  void end_round();

  void step();
  void play();
  void pause();
  void seek();
  void to_ready();
  void null_and_play();
  void wait_for_eos();
  void force_eos();
  void app_call(bool in_band);
  void qos();
  void bitrate();
  void wait();

  // The application's stop: NULL, then the element's stats accounted.
  void stop();
  // Adds the element's stops since the last call to the round's accounting.
  void account();
  void set_state(GstState state);
  void run_until_settled();
  void check_healthy();
  void log(const std::string &what);
  std::string context() const;
  std::string steps_since(int first) const;
  GstElement *ma() const;

  GRand *rand_;
  const int ops_;
  const std::string uri_;
  int step_ = 0;
  int round_ = 0;
  int round_left_ = 0;
  int batch_first_ = 0;
  GstState target_ = GST_STATE_NULL;
  bool verbose_ = g_getenv("MEDIAANALYTICS_SOAK_VERBOSE") != nullptr;
  // MEDIAANALYTICS_SOAK_KEEP_GOING: findings are collected, the test fails
  // at the end (a long run then tells every kind it met).
  bool keep_going_ = g_getenv("MEDIAANALYTICS_SOAK_KEEP_GOING") != nullptr;
  std::vector<std::string> findings_;
  std::deque<std::string> recent_;
  std::unique_ptr<Collector> collector_;
  std::unique_ptr<soak::RecordAudit> audit_;
  std::unique_ptr<Player> player_;
  std::unique_ptr<soak::InBand> in_band_;
  std::unique_ptr<soak::LeakWatch> leaks_;
  std::unique_ptr<soak::ElementStops> stops_;
  soak::Accounting stats_, round_stats_;
  soak::RecordTotals record_;
  guint64 qos_processed_ = 0, qos_dropped_ = 0;
  int accepted_calls_ = 0, refused_calls_ = 0, in_band_calls_ = 0;
};

GstElement *Soak::ma() const {
  GstElement *ma = nullptr;
  g_object_get(player_->pipeline(), "video-filter", &ma, nullptr);
  fail_unless(ma != nullptr, "playbin has no video-filter");
  gst_object_unref(ma);  // playbin holds it
  return ma;
}

void Soak::log(const std::string &what) {
  // Wall-clock time of day (UTC, ms), to set beside the record's ts.
  const gint64 ms = g_get_real_time() / 1000 % (24 * 3600 * 1000);
  g_autofree char *stamp =
      g_strdup_printf("%02d:%02d:%02d.%03d", static_cast<int>(ms / 3600000),
                      static_cast<int>(ms / 60000 % 60), static_cast<int>(ms / 1000 % 60),
                      static_cast<int>(ms % 1000));
  const std::string line = std::string(stamp) + " step " + std::to_string(step_) +
                           " (round " + std::to_string(round_) + "): " + what;
  if (verbose_)
    g_print("%s\n", line.c_str());
  recent_.push_back(line);
  if (recent_.size() > 12)
    recent_.pop_front();
}

std::string Soak::context() const {
  std::string out = "\nthe last steps:\n";
  for (const std::string &line : recent_)
    out += "  " + line + "\n";
  return out;
}

std::string Soak::steps_since(int first) const {
  return "round " + std::to_string(round_) + ", steps " + std::to_string(first) + "-" +
         std::to_string(step_);
}

void Soak::check_healthy() {
  const GError *error = player_->error();
  fail_unless(error == nullptr, "an ERROR from %s: %s%s", player_->error_source().c_str(),
              error ? error->message : "", context().c_str());
}

void Soak::run_until_settled() {
  GstElement *pipeline = player_->pipeline();
  const GstState want = target_;
  const bool reached = player_->run_until(
      [pipeline, want] {
        GstState current, pending;
        return gst_element_get_state(pipeline, &current, &pending, 0) ==
                   GST_STATE_CHANGE_SUCCESS &&
               current == want && pending == GST_STATE_VOID_PENDING;
      },
      state_timeout_ms());
  check_healthy();
  fail_unless(reached, "the pipeline did not reach %s within %d ms%s",
              gst_element_state_get_name(want), state_timeout_ms(), context().c_str());
}

void Soak::set_state(GstState state) {
  target_ = state;
  if (state == GST_STATE_PLAYING)
    player_->play();
  else if (state == GST_STATE_PAUSED)
    player_->pause();
  else
    fail_unless(
        gst_element_set_state(player_->pipeline(), state) != GST_STATE_CHANGE_FAILURE,
        "set_state(%s) failed%s", gst_element_state_get_name(state), context().c_str());
  if (state <= GST_STATE_READY)
    player_->forget_eos();
  run_until_settled();
}

void Soak::stop() {
  set_state(GST_STATE_NULL);
  // The client stopped with the element, and it was the sender's only user.
  fail_unless(!soak::has_thread(soak::kSenderThreadName),
              "the sending thread still runs after the stop (%s)%s",
              soak::describe_threads().c_str(), context().c_str());
  account();
}

void Soak::account() {
  std::string unaccounted;
  const soak::Accounting stops = stops_->take(unaccounted);
  fail_unless(unaccounted.empty(),
              "the element stopped without accounting for its events:\n%s%s",
              unaccounted.c_str(), context().c_str());
  if (stops.stops > 0)
    log("the element stopped " + std::to_string(stops.stops) +
        " time(s): " + std::to_string(stops.generated) + " events generated, " +
        std::to_string(stops.sent) + " sent, " + std::to_string(stops.dropped) +
        " dropped");
  stats_.add(stops);
  round_stats_.add(stops);
}

void Soak::start_round() {
  round_++;
  round_left_ = g_rand_int_range(rand_, 10, 31);
  round_stats_ = soak::Accounting();
  const soak::Faults faults = soak::draw_faults(rand_);
  collector_ = std::make_unique<Collector>(faults.args);
  audit_ = std::make_unique<soak::RecordAudit>(*collector_,
                                               keep_going_ ? &findings_ : nullptr);
  if (!player_) {
    player_ = std::make_unique<Player>(make_playbin("playbin", *collector_, uri_));
    // playbin's defaults without soft-volume: GStreamer 1.22's playsink
    // leaks its volume element (and two pads) at every stop to NULL, which
    // the leak check would report; the sinks here have no volume anyway.
    gst_util_set_object_arg(G_OBJECT(player_->pipeline()), "flags",
                            "video+audio+text+deinterlace+soft-colorbalance");
    set_ns_property(ma(), "flush-timeout", kFlushTimeout);
    in_band_ = std::make_unique<soak::InBand>(ma());
    stops_ = std::make_unique<soak::ElementStops>(player_->pipeline(), ma());
  }
  configure(ma(), *collector_);
  log("round with " + faults.summary);
  set_state(GST_STATE_PLAYING);
}

void Soak::end_round() {
  const int first = batch_first_;
  stop();
  fail_unless(collector_->stop() == 0, "the collector did not exit with 0");
  audit_->check_end(steps_since(first), round_stats_.dropped > 0);
  const soak::RecordTotals &t = audit_->totals();
  // Every event the element counted as sent was accepted by the collector.
  // A stop that had to give up may have cancelled a request whose answer
  // was already on its way: then the collector accepted more.
  fail_unless(t.accepted == round_stats_.sent ||
                  (round_stats_.dropped > 0 && t.accepted > round_stats_.sent),
              "round %d: the element counted %" G_GUINT64_FORMAT
              " events sent, the collector accepted %" G_GUINT64_FORMAT "%s",
              round_, round_stats_.sent, t.accepted, context().c_str());
  record_.requests += t.requests;
  record_.accepted += t.accepted;
  record_.faults += t.faults;
  record_.abandoned += t.abandoned;
  record_.sessions += t.sessions;
  audit_.reset();
  collector_.reset();
  batch_first_ = step_ + 1;
}

void Soak::play() {
  log("play");
  set_state(GST_STATE_PLAYING);
}

void Soak::pause() {
  log("pause");
  set_state(GST_STATE_PAUSED);
}

void Soak::seek() {
  if (target_ < GST_STATE_PAUSED) {
    play();
    return;
  }
  static constexpr double kRates[] = {1.0, 1.0, 1.0, 0.5, 2.0};
  const double rate = kRates[g_rand_int_range(rand_, 0, G_N_ELEMENTS(kRates))];
  const double position = g_rand_double_range(rand_, 0, kClipSeconds - 0.3);
  const bool accurate = g_rand_boolean(rand_);
  const auto flags = static_cast<GstSeekFlags>(
      GST_SEEK_FLAG_FLUSH |
      (accurate ? GST_SEEK_FLAG_ACCURATE
                : GST_SEEK_FLAG_KEY_UNIT | GST_SEEK_FLAG_SNAP_NEAREST));
  log("seek to " + std::to_string(position) + " s at rate " + std::to_string(rate) +
      (accurate ? " accurate" : " key unit") + " (" +
      std::to_string(player_->position()) + " s)");
  player_->forget_eos();
  fail_unless(
      gst_element_seek(player_->pipeline(), rate, GST_FORMAT_TIME, flags,
                       GST_SEEK_TYPE_SET, static_cast<gint64>(position * GST_SECOND),
                       GST_SEEK_TYPE_NONE, GST_CLOCK_TIME_NONE),
      "the seek was refused%s", context().c_str());
  run_until_settled();
}

void Soak::to_ready() {
  log("ready");
  set_state(GST_STATE_READY);
}

void Soak::null_and_play() {
  log("null, then play");
  stop();
  set_state(GST_STATE_PLAYING);
}

void Soak::wait_for_eos() {
  log("play to the end");
  if (target_ != GST_STATE_PLAYING)
    set_state(GST_STATE_PLAYING);
  player_->forget_eos();
  fail_unless(
      gst_element_seek(
          player_->pipeline(), 1.0, GST_FORMAT_TIME,
          static_cast<GstSeekFlags>(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE),
          GST_SEEK_TYPE_SET, static_cast<gint64>((kClipSeconds - 0.5) * GST_SECOND),
          GST_SEEK_TYPE_NONE, GST_CLOCK_TIME_NONE),
      "the seek near the end was refused%s", context().c_str());
  const bool ended = player_->run_until(
      [this] { return player_->eos() || player_->error(); }, state_timeout_ms());
  check_healthy();
  fail_unless(ended, "no EOS within %d ms of a seek to 0.5 s before the end%s",
              state_timeout_ms(), context().c_str());
}

void Soak::force_eos() {
  // An EOS the sources already sent: nothing more would come.
  if (target_ != GST_STATE_PLAYING || player_->eos()) {
    wait();
    return;
  }
  log("force EOS");
  fail_unless(gst_element_send_event(player_->pipeline(), gst_event_new_eos()),
              "the pipeline refused EOS%s", context().c_str());
  const bool ended = player_->run_until(
      [this] { return player_->eos() || player_->error(); }, state_timeout_ms());
  check_healthy();
  fail_unless(ended, "no EOS message within %d ms of an EOS event%s", state_timeout_ms(),
              context().c_str());
}

void Soak::app_call(bool in_band) {
  soak::AppCall call;
  soak::draw_app_call(rand_, call);
  // A break starts with its first ad, as applications announce them.
  soak::AppCall first_ad;
  if (call.name == "ad-break-start")
    soak::draw_first_ad(rand_, first_ad);
  for (const soak::AppCall *c : {&call, &first_ad}) {
    if (c->name.empty())
      continue;
    if (in_band) {
      log("in-band " + c->describe());
      in_band_->push(c->to_event());
      in_band_calls_++;
      continue;
    }
    const bool ok = c->emit(ma());
    (ok ? accepted_calls_ : refused_calls_)++;
    log(c->describe() + (ok ? ": accepted" : ": refused"));
  }
}

void Soak::qos() {
  // A sink that drops frames, as a slow machine makes it: the counts only grow.
  qos_processed_ += g_rand_int_range(rand_, 1, 100);
  qos_dropped_ += g_rand_int_range(rand_, 0, 5);
  GstElement *sink = nullptr;
  g_object_get(player_->pipeline(), "video-sink", &sink, nullptr);
  GstMessage *message =
      gst_message_new_qos(GST_OBJECT(sink), FALSE, GST_CLOCK_TIME_NONE,
                          GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE);
  gst_message_set_qos_stats(message, GST_FORMAT_BUFFERS, qos_processed_, qos_dropped_);
  gst_element_post_message(sink, message);
  gst_object_unref(sink);
  log("QoS " + std::to_string(qos_dropped_) + " dropped");
}

void Soak::bitrate() {
  const guint bps = g_rand_int_range(rand_, 100000, 5000000);
  in_band_->push(gst_event_new_tag(gst_tag_list_new(GST_TAG_BITRATE, bps, nullptr)));
  log("in-band bitrate " + std::to_string(bps));
}

void Soak::wait() {
  const int ms = g_rand_int_range(rand_, 50, 1500);
  log("wait " + std::to_string(ms) + " ms");
  player_->run_for(ms);
}

void Soak::step() {
  // Weights: the application's everyday operations most.
  struct Op {
    int weight;
    void (Soak::*run)();
  };
  static const Op kOps[] = {
      {12, &Soak::play},     {8, &Soak::pause},         {14, &Soak::seek},
      {3, &Soak::to_ready},  {3, &Soak::null_and_play}, {3, &Soak::wait_for_eos},
      {3, &Soak::force_eos}, {4, &Soak::qos},           {3, &Soak::bitrate},
      {10, &Soak::wait},
  };
  constexpr int kAppCallWeight = 14, kInBandWeight = 8;
  int total = kAppCallWeight + kInBandWeight;
  for (const Op &op : kOps)
    total += op.weight;
  int draw = g_rand_int_range(rand_, 0, total);
  if (draw < kAppCallWeight) {
    app_call(false);
  } else if ((draw -= kAppCallWeight) < kInBandWeight) {
    app_call(true);
  } else {
    draw -= kInBandWeight;
    for (const Op &op : kOps) {
      if (draw < op.weight) {
        (this->*op.run)();
        break;
      }
      draw -= op.weight;
    }
  }
  // A little time for what the step set off.
  player_->run_for(g_rand_int_range(rand_, 10, 200));
  check_healthy();
  account();
}

void Soak::run() {
  // A collector first: GLib's child watch starts its worker thread, which
  // lasts; the count is taken with it, before the first mediaanalytics.
  { Collector warm_up(collector_args()); }
  g_autofree char *path = g_filename_from_uri(uri_.c_str(), nullptr, nullptr);
  const size_t threads_before = soak::settled_thread_count(path);
  const std::string threads_before_text = soak::describe_threads();

  start_round();
  for (step_ = 1; step_ <= ops_; step_++) {
    if (round_left_-- == 0) {
      end_round();
      // What the first round made for good (classes, their pad templates,
      // cached caps) is not a leak: the watch starts after it.
      if (!leaks_)
        leaks_ = std::make_unique<soak::LeakWatch>();
      else
        leaks_->alive();  // folds the tracer's lists: judged at the end
      start_round();
    }
    step();
    if (step_ % kBatch == 0 || step_ == ops_) {
      audit_->check_new_lines(steps_since(batch_first_));
      batch_first_ = step_ + 1;
    }
  }
  end_round();
  if (!leaks_)
    leaks_ = std::make_unique<soak::LeakWatch>();  // a run of one round
  const size_t in_band_delivered = in_band_->delivered();
  in_band_.reset();
  stops_.reset();
  player_.reset();

  const bool sender_gone = !soak::has_thread(soak::kSenderThreadName);
  const bool threads_back =
      soak::wait_for_thread_count(threads_before, collector_test::scaled_ms(3000));
  const size_t threads_after = soak::thread_count();
  const std::vector<std::string> alive = leaks_->alive();
  std::string leaked, found;
  for (const std::string &object : alive)
    leaked += " " + object;
  for (const std::string &finding : findings_)
    found += "\n  " + finding;

  g_print("soak done: %d ops in %d rounds; events generated %" G_GUINT64_FORMAT
          ", sent %" G_GUINT64_FORMAT ", dropped %" G_GUINT64_FORMAT
          ", retries %" G_GUINT64_FORMAT ", sessions %" G_GUINT64_FORMAT
          "; collectors: %" G_GUINT64_FORMAT " requests, %" G_GUINT64_FORMAT
          " accepted, %" G_GUINT64_FORMAT " faults injected, %" G_GUINT64_FORMAT
          " abandoned by the client, %" G_GUINT64_FORMAT
          " sessions closed; application calls: %d accepted, %d refused, %d in-band "
          "(%zu events reached the element in-band); "
          "threads before %zu, after %zu; objects left alive %zu; findings %zu\n",
          ops_, round_, stats_.generated, stats_.sent, stats_.dropped, stats_.retried,
          stats_.sessions, record_.requests, record_.accepted, record_.faults,
          record_.abandoned, record_.sessions, accepted_calls_, refused_calls_,
          in_band_calls_, in_band_delivered, threads_before, threads_after, alive.size(),
          findings_.size());

  fail_unless(sender_gone, "the sending thread outlived every element");
  fail_unless(threads_back,
              "threads before the first element: %s; after everything was disposed: %s",
              threads_before_text.c_str(), soak::describe_threads().c_str());
  fail_unless(leaks_->available(), "the leaks tracer is not active (GST_TRACERS=leaks)");
  fail_unless(alive.empty(),
              "%zu objects created after the first round are still alive:%s",
              alive.size(), leaked.c_str());
  fail_unless(findings_.empty(), "the collectors had %zu findings:%s", findings_.size(),
              found.c_str());
}

// A clip with audio and video, as most files a player gets: 6 s of Theora
// (keyframe every second) and raw PCM in Matroska.
std::string make_av_clip() {
  return make_media("soak.mkv",
                    "videotestsrc num-buffers=150 horizontal-speed=4 ! "
                    "video/x-raw,width=320,height=240,framerate=25/1 ! "
                    "theoraenc keyframe-freq=25 keyframe-force=25 ! mux. "
                    "audiotestsrc num-buffers=60 samplesperbuffer=1600 ! "
                    "audio/x-raw,format=S16LE,rate=16000,channels=1 ! mux. "
                    "matroskamux name=mux");
}

}  // namespace

int soak_ops() {
  return static_cast<int>(env_number("MEDIAANALYTICS_SOAK_OPS", kDefaultOps));
}

GST_START_TEST(test_soak) {
  const guint32 seed = env_number("MEDIAANALYTICS_SOAK_SEED", kDefaultSeed);
  const int ops = soak_ops();
  g_print("soak seed=%u ops=%d\n", seed, ops);
  g_autofree char *uri = gst_filename_to_uri(make_av_clip().c_str(), nullptr);
  Soak(seed, ops, uri).run();
}
GST_END_TEST;

static Suite *soak_suite(void) {
  Suite *s = suite_create("soak");
  // A step takes 0.3 s on average; a sanitizer makes it slower. (meson's
  // own timeout is multiplied with -t for a long run.)
  TCase *tc = add_scenario_tcase(s, 150 + soak_ops());
  tcase_add_test(tc, test_soak);
  return s;
}

int main(int argc, char **argv) {
  // Before gst_init: the tracer is set up there.
  soak::enable_leaks_tracer();
  gst_check_init(&argc, &argv);
  return gst_check_run_suite(soak_suite(), "soak", __FILE__);
}
