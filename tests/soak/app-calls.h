// The application API of mediaanalytics (docs/mediaanalytics.md,
// "Application API"), called at random: one of its action signals with
// values that are mostly valid and sometimes not, or the same call as an
// in-band "mediaanalytics/<signal>" custom event. The element must keep the
// protocol's rules whatever the order: a call it cannot take is refused (a
// WARNING), never sent.
#pragma once

#include <gst/gst.h>

#include <string>

namespace soak {

// One application call: the signal's name and its arguments.
struct AppCall {
  std::string name;
  GstStructure *params = nullptr;  // ad-break-start, ad-start, chapter-start
  GstStructure *custom = nullptr;  // ad-start, chapter-start (may stay null)
  std::string text1;               // state name; track-error's id
  std::string text2;               // track-error's source

  AppCall() = default;
  ~AppCall();
  AppCall(const AppCall &) = delete;
  AppCall &operator=(const AppCall &) = delete;

  // "ad-start media.ad.id=... {custom}" for the soak's log.
  std::string describe() const;
  // Emits the signal on `ma`; returns what it returned.
  bool emit(GstElement *ma) const;
  // The same call as the custom downstream event an upstream element sends.
  GstEvent *to_event() const;
};

// Draws a call from `rand`: about one in ten has a value the element must
// refuse (a podPosition of 0, an unknown key, a bad error source).
void draw_app_call(GRand *rand, AppCall &call);

// A valid ad-start: what an application calls right after ad-break-start
// (nothing may be sent between the two, not even a ping, so a break left
// without its first ad for seconds is a gap the protocol cannot fill).
void draw_first_ad(GRand *rand, AppCall &call);

}  // namespace soak
