#include "app-calls.h"

#include <gst/check/gstcheck.h>

namespace soak {

namespace {

constexpr const char *kPlainCalls[] = {"ad-complete",       "ad-skip",
                                       "ad-break-complete", "chapter-complete",
                                       "chapter-skip",      "end-session"};
constexpr const char *kStates[] = {"fullScreen",       "mute",    "closedCaptioning",
                                   "pictureInPicture", "inFocus", "soakState"};

bool one_in(GRand *rand, int n) {
  return g_rand_int_range(rand, 0, n) == 0;
}

gint64 int_in(GRand *rand, int from, int to) {
  return g_rand_int_range(rand, from, to + 1);
}

GstStructure *pod_params(GRand *rand, bool valid) {
  GstStructure *s = gst_structure_new(
      "pod", "media.ad.podIndex", G_TYPE_INT64, int_in(rand, 0, 5), "media.ad.podSecond",
      G_TYPE_DOUBLE, g_rand_double_range(rand, 0, 6), nullptr);
  if (one_in(rand, 2))
    gst_structure_set(s, "media.ad.podFriendlyName", G_TYPE_STRING, "soak pod", nullptr);
  if (!valid)
    gst_structure_set(s, "media.ad.podIndex", G_TYPE_INT64, static_cast<gint64>(-1),
                      nullptr);
  return s;
}

GstStructure *ad_params(GRand *rand, bool valid) {
  g_autofree char *id = g_strdup_printf("soak-ad-%d", g_rand_int_range(rand, 0, 1000));
  GstStructure *s = gst_structure_new(
      "ad", "media.ad.id", G_TYPE_STRING, id, "media.ad.length", G_TYPE_DOUBLE,
      g_rand_double_range(rand, 0, 30), "media.ad.podPosition", G_TYPE_INT64,
      int_in(rand, 1, 3), "media.ad.playerName", G_TYPE_STRING, "soak", nullptr);
  if (one_in(rand, 3))
    gst_structure_set(s, "media.ad.advertiser", G_TYPE_STRING, "Soak Inc.", nullptr);
  if (!valid)
    gst_structure_set(s, "media.ad.podPosition", G_TYPE_INT64, static_cast<gint64>(0),
                      nullptr);
  return s;
}

GstStructure *chapter_params(GRand *rand, bool valid) {
  GstStructure *s = gst_structure_new(
      "chapter", "media.chapter.index", G_TYPE_INT64, int_in(rand, 1, 5),
      "media.chapter.offset", G_TYPE_DOUBLE, g_rand_double_range(rand, 0, 6),
      "media.chapter.length", G_TYPE_DOUBLE, g_rand_double_range(rand, 0, 6), nullptr);
  if (one_in(rand, 2))
    gst_structure_set(s, "media.chapter.friendlyName", G_TYPE_STRING, "soak chapter",
                      nullptr);
  if (!valid)  // a typo the element names
    gst_structure_set(s, "media.chapter.lenght", G_TYPE_DOUBLE, 1.0, nullptr);
  return s;
}

GstStructure *custom_metadata(GRand *rand) {
  if (one_in(rand, 2))
    return nullptr;
  return gst_structure_new("custom", "tier", G_TYPE_STRING, "gold", "soak.round",
                           G_TYPE_STRING, "1", nullptr);
}

}  // namespace

AppCall::~AppCall() {
  if (params)
    gst_structure_free(params);
  if (custom)
    gst_structure_free(custom);
}

std::string AppCall::describe() const {
  std::string out = name;
  if (params) {
    g_autofree char *text = gst_structure_to_string(params);
    out += std::string(" ") + text;
  }
  if (custom) {
    g_autofree char *text = gst_structure_to_string(custom);
    out += std::string(" {") + text + "}";
  }
  if (!text1.empty())
    out += " " + text1;
  if (!text2.empty())
    out += " " + text2;
  return out;
}

bool AppCall::emit(GstElement *ma) const {
  gboolean ok = FALSE;
  if (name == "ad-break-start")
    g_signal_emit_by_name(ma, name.c_str(), params, &ok);
  else if (name == "ad-start" || name == "chapter-start")
    g_signal_emit_by_name(ma, name.c_str(), params, custom, &ok);
  else if (name == "state-start" || name == "state-end")
    g_signal_emit_by_name(ma, name.c_str(), text1.c_str(), &ok);
  else if (name == "track-error")
    g_signal_emit_by_name(ma, name.c_str(), text1.c_str(), text2.c_str(), &ok);
  else
    g_signal_emit_by_name(ma, name.c_str(), &ok);
  return ok;
}

GstEvent *AppCall::to_event() const {
  const std::string event_name = "mediaanalytics/" + name;
  GstStructure *s = params ? gst_structure_copy(params) : gst_structure_new_empty("call");
  gst_structure_set_name(s, event_name.c_str());
  if (custom)
    gst_structure_set(s, "custom-metadata", GST_TYPE_STRUCTURE, custom, nullptr);
  if (name == "state-start" || name == "state-end")
    gst_structure_set(s, "media.state.name", G_TYPE_STRING, text1.c_str(), nullptr);
  if (name == "track-error")
    gst_structure_set(s, "media.errorId", G_TYPE_STRING, text1.c_str(),
                      "media.errorSource", G_TYPE_STRING, text2.c_str(), nullptr);
  return gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM, s);
}

void draw_app_call(GRand *rand, AppCall &call) {
  const bool valid = !one_in(rand, 10);
  switch (g_rand_int_range(rand, 0, 7)) {
    case 0:
      call.name = "ad-break-start";
      call.params = pod_params(rand, valid);
      break;
    case 1:
      call.name = "ad-start";
      call.params = ad_params(rand, valid);
      call.custom = custom_metadata(rand);
      break;
    case 2:
      call.name = "chapter-start";
      call.params = chapter_params(rand, valid);
      call.custom = custom_metadata(rand);
      break;
    case 3:
      call.name = one_in(rand, 2) ? "state-start" : "state-end";
      call.text1 = kStates[g_rand_int_range(rand, 0, G_N_ELEMENTS(kStates))];
      break;
    case 4:
      call.name = "track-error";
      call.text1 = "SOAK-" + std::to_string(g_rand_int_range(rand, 0, 100));
      call.text2 = valid ? (one_in(rand, 2) ? "player" : "external") : "elsewhere";
      break;
    default:
      call.name = kPlainCalls[g_rand_int_range(rand, 0, G_N_ELEMENTS(kPlainCalls))];
      break;
  }
}

void draw_first_ad(GRand *rand, AppCall &call) {
  call.name = "ad-start";
  call.params = ad_params(rand, true);
  call.custom = custom_metadata(rand);
}

}  // namespace soak
