// mediaanalytics-collector: a local Media Collection API endpoint that behaves
// like Adobe's, and tells what is wrong with a session. See docs/collector.md.

#include "fault-plan.h"
#include "record.h"
#include "server.h"
#include "timeline.h"

#include <glib-unix.h>
#include <glib.h>

#include <cmath>
#include <cstdio>
#include <string>

using namespace collector;

namespace {

struct Options {
  ServerOptions server;
  char *record_path = nullptr;
  char *print_timeline_path = nullptr;
  gboolean timeline_at_exit = FALSE;
  int port = 0;
  double idle_timeout_s = 600;
  double stall_timeout_s = 1800;
  double expire_after_s = 0;
  double forget_after_s = 0;
  gint64 max_body = 1024 * 1024;
  gint64 gap_slack_ms = 2000;
  gint64 main_ping_ms = 10000;
  gint64 ad_ping_ms = 1000;
  gint64 delay_sessions_ms = 0;
  gint64 delay_events_ms = 0;
  gint64 seed = 1;
  char *host = nullptr;
  char *tls_cert = nullptr;
  char *tls_key = nullptr;

  ~Options() {
    g_free(tls_cert);
    g_free(tls_key);
    g_free(record_path);
    g_free(print_timeline_path);
    g_free(host);
  }
};

// GOptionArgFunc callbacks reach the options through the group's user data.
template <gboolean (*parse)(const char *, FaultOptions &, GError **)>
gboolean fault_arg(const char *, const char *value, gpointer data, GError **error) {
  return parse(value, static_cast<Options *>(data)->server.faults, error);
}

gboolean drop_arg(const char *, const char *value, gpointer data, GError **error) {
  FaultOptions &f = static_cast<Options *>(data)->server.faults;
  return parse_window("drop", value, f.drop_after, f.drop_ms, error);
}

gboolean refuse_arg(const char *, const char *value, gpointer data, GError **error) {
  FaultOptions &f = static_cast<Options *>(data)->server.faults;
  return parse_window("refuse", value, f.refuse_after, f.refuse_ms, error);
}

// Durations in seconds: finite, at least a microsecond, at most a year.
bool seconds_to_us(double seconds, bool zero_allowed, int64_t &us) {
  constexpr double kYear = 365.0 * 24 * 3600;
  if (!std::isfinite(seconds) || seconds < 0 || seconds > kYear)
    return false;
  us = static_cast<int64_t>(seconds * G_USEC_PER_SEC);
  return us >= 1 || (zero_allowed && seconds == 0);
}

gboolean check_options(Options &o, GError **error) {
  auto bad = [error](const char *message) {
    g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, message);
    return FALSE;
  };
  constexpr gint64 kDay_ms = 24 * 3600 * 1000;
  ServerOptions &s = o.server;
  if (o.host) {
    g_autoptr(GInetAddress) address = g_inet_address_new_from_string(o.host);
    if (!address)
      return bad("--host must be an IP address, e.g. 127.0.0.1 or ::1");
    s.host = o.host;
  }
  if (!o.tls_cert != !o.tls_key)
    return bad("--tls-cert and --tls-key go together (the certificate and its key)");
  if (o.tls_cert) {
    s.tls_cert_file = o.tls_cert;
    s.tls_key_file = o.tls_key;
  }
  if (o.port < 0 || o.port > 65535)
    return bad("--port must be between 0 and 65535");
  if (!seconds_to_us(o.idle_timeout_s, false, s.expiry.idle_us))
    return bad("--idle-timeout must be a number of seconds between 0.000001 and a year");
  if (!seconds_to_us(o.stall_timeout_s, false, s.expiry.stalled_us))
    return bad("--stall-timeout must be a number of seconds between 0.000001 and a year");
  if (!seconds_to_us(o.expire_after_s, true, s.expiry.forced_us))
    return bad("--expire-after must be 0 (off) or seconds between 0.000001 and a year");
  if (!seconds_to_us(o.forget_after_s, true, s.expiry.forget_us))
    return bad("--forget-after must be 0 (off) or seconds between 0.000001 and a year");
  if (o.max_body <= 0 || o.max_body > G_MAXINT32)
    return bad("--max-body must be between 1 and 2147483647 bytes");
  if (o.delay_sessions_ms < 0 || o.delay_sessions_ms > kDay_ms || o.delay_events_ms < 0 ||
      o.delay_events_ms > kDay_ms)
    return bad("--delay-sessions and --delay-events must be between 0 and 86400000 ms");
  if (o.gap_slack_ms < 0 || o.gap_slack_ms > kDay_ms || o.main_ping_ms <= 0 ||
      o.main_ping_ms > kDay_ms || o.ad_ping_ms <= 0 || o.ad_ping_ms > kDay_ms)
    return bad(
        "--main-ping and --ad-ping must be between 1 and 86400000 ms, "
        "--gap-slack between 0 and 86400000 ms");
  if (o.seed < 0 || o.seed > G_MAXUINT32)
    return bad("--seed must be between 0 and 4294967295");
  s.port = static_cast<unsigned>(o.port);
  s.max_body_bytes = o.max_body;
  s.checks.gap_slack_ms = o.gap_slack_ms;
  s.checks.main_ping_ms = o.main_ping_ms;
  s.checks.ad_ping_ms = o.ad_ping_ms;
  s.faults.delay_sessions_ms = o.delay_sessions_ms;
  s.faults.delay_events_ms = o.delay_events_ms;
  s.faults.seed = static_cast<uint32_t>(o.seed);
  return TRUE;
}

std::string default_record_path() {
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%S");
  g_autofree char *name = g_strdup_printf("mediaanalytics-collector-%s-%d.jsonl", stamp,
                                          static_cast<int>(getpid()));
  g_autofree char *path = g_build_filename(g_get_tmp_dir(), name, nullptr);
  return path;
}

gboolean quit_loop(gpointer loop) {
  g_main_loop_quit(static_cast<GMainLoop *>(loop));
  return G_SOURCE_CONTINUE;
}

}  // namespace

int main(int argc, char **argv) {
  Options o;
  // clang-format off
  GOptionEntry entries[] = {
    {"host", 0, 0, G_OPTION_ARG_STRING, &o.host, "IP address to listen on (default 127.0.0.1)", "ADDR"},
    {"port", 'p', 0, G_OPTION_ARG_INT, &o.port, "Port to listen on; 0 picks a free one (default)", "PORT"},
    {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &o.tls_cert, "Serve https with this certificate (PEM; with --tls-key)", "FILE"},
    {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &o.tls_key, "The private key of --tls-cert (PEM)", "FILE"},
    {"record", 'r', 0, G_OPTION_ARG_FILENAME, &o.record_path, "Write the JSON Lines record here (default: a new file in the temporary directory)", "FILE"},
    {"timeline", 't', 0, G_OPTION_ARG_NONE, &o.timeline_at_exit, "Print every session's timeline to stdout when stopping", nullptr},
    {"print-timeline", 0, 0, G_OPTION_ARG_FILENAME, &o.print_timeline_path, "Print the timelines of an existing record and exit", "FILE"},
    {"idle-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &o.idle_timeout_s, "Close a session after this many seconds without an event (default 600)", "S"},
    {"stall-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &o.stall_timeout_s, "Close a session after this many seconds without playhead movement (default 1800)", "S"},
    {"main-ping", 0, 0, G_OPTION_ARG_INT64, &o.main_ping_ms, "Ping interval expected on main content, for gap-too-long (default 10000)", "MS"},
    {"ad-ping", 0, 0, G_OPTION_ARG_INT64, &o.ad_ping_ms, "Ping interval expected inside an ad, for gap-too-long (default 1000)", "MS"},
    {"gap-slack", 0, 0, G_OPTION_ARG_INT64, &o.gap_slack_ms, "Allowed lateness of an event over the ping interval before a gap-too-long finding (default 2000)", "MS"},
    {"max-body", 0, 0, G_OPTION_ARG_INT64, &o.max_body, "Largest accepted request body (default 1048576)", "BYTES"},
    {"delay-sessions", 0, 0, G_OPTION_ARG_INT64, &o.delay_sessions_ms, "Fault: hold each /sessions request this long before handling and answering it", "MS"},
    {"delay-events", 0, 0, G_OPTION_ARG_INT64, &o.delay_events_ms, "Fault: hold each /events request this long before handling and answering it", "MS"},
    {"fail-next", 0, 0, G_OPTION_ARG_CALLBACK, reinterpret_cast<gpointer>(fault_arg<parse_fail_next>), "Fault: answer STATUS to the next COUNT POSTs in scope", "STATUS:COUNT"},
    {"fail-fraction", 0, 0, G_OPTION_ARG_CALLBACK, reinterpret_cast<gpointer>(fault_arg<parse_fail_fraction>), "Fault: answer STATUS to this fraction of POSTs in scope", "STATUS:F"},
    {"fail-scope", 0, 0, G_OPTION_ARG_CALLBACK, reinterpret_cast<gpointer>(fault_arg<parse_fail_scope>), "Which POSTs the status faults hit: all (default), sessions or events", "SCOPE"},
    {"seed", 0, 0, G_OPTION_ARG_INT64, &o.seed, "Seed of the --fail-fraction draws (default 1)", "N"},
    {"drop", 0, 0, G_OPTION_ARG_CALLBACK, reinterpret_cast<gpointer>(drop_arg), "Fault: after AFTER requests, close every request's connection unanswered for MS", "AFTER:MS"},
    {"refuse", 0, 0, G_OPTION_ARG_CALLBACK, reinterpret_cast<gpointer>(refuse_arg), "Fault: after AFTER requests, stop listening (connections refused) for MS, then listen again", "AFTER:MS"},
    {"expire-after", 0, 0, G_OPTION_ARG_DOUBLE, &o.expire_after_s, "Fault: close every session this many seconds after it opened", "S"},
    {"forget-after", 0, 0, G_OPTION_ARG_DOUBLE, &o.forget_after_s, "Fault: forget every session this many seconds after it opened (later requests to it get 404)", "S"},
    {"location", 0, 0, G_OPTION_ARG_CALLBACK, reinterpret_cast<gpointer>(fault_arg<parse_location>), "Fault: answer 201 with a missing or malformed Location to the next COUNT sessions (all by default)", "missing|malformed[:COUNT]"},
    {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr},
  };
  // clang-format on
  g_autoptr(GOptionContext) context =
      g_option_context_new("- a local Adobe Media Collection API endpoint");
  g_option_context_set_summary(
      context,
      "Serves POST /api/v1/sessions, POST /api/v1/sessions/{sid}/events and\n"
      "GET /api/v1/schemas/{eventType}; validates every body, records every request,\n"
      "and reports session-level findings. Prints the URL it listens on as its\n"
      "first line of output. SIGINT or SIGTERM stop it cleanly.");
  GOptionGroup *group = g_option_group_new(nullptr, nullptr, nullptr, &o, nullptr);
  g_option_group_add_entries(group, entries);
  g_option_context_set_main_group(context, group);
  g_autoptr(GError) error = nullptr;
  if (g_option_context_parse(context, &argc, &argv, &error) && argc > 1)
    g_set_error(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                "unexpected argument \"%s\" (options start with --; see --help)",
                argv[1]);
  if (error || !check_options(o, &error)) {
    g_printerr("mediaanalytics-collector: %s\n", error->message);
    return 2;
  }

  if (o.print_timeline_path) {
    if (!print_timeline(o.print_timeline_path, stdout, &error)) {
      g_printerr("mediaanalytics-collector: %s\n", error->message);
      return 1;
    }
    return 0;
  }

  std::string record_path = o.record_path ? o.record_path : default_record_path();
  std::unique_ptr<Record> record = Record::open(record_path, &error);
  if (!record) {
    g_printerr("mediaanalytics-collector: %s\n", error->message);
    return 1;
  }
  Server server(o.server, *record);
  if (!server.start(&error)) {
    g_printerr("mediaanalytics-collector: cannot listen: %s\n", error->message);
    return 1;
  }
  // Before the URL goes out: whoever read it may stop us at once, and must
  // find a clean exit (and a complete record), not death by the signal.
  g_autoptr(GMainLoop) loop = g_main_loop_new(nullptr, FALSE);
  guint sigint = g_unix_signal_add(SIGINT, quit_loop, loop);
  guint sigterm = g_unix_signal_add(SIGTERM, quit_loop, loop);

  // The first line is the contract with scripts and tests: the URL, at once.
  printf("%s\n", server.url().c_str());
  fflush(stdout);
  g_printerr("mediaanalytics-collector: recording to %s\n", record_path.c_str());

  g_main_loop_run(loop);
  g_source_remove(sigint);
  g_source_remove(sigterm);

  server.stop();
  record.reset();  // flushed and closed before anyone reads it
  if (o.timeline_at_exit && !print_timeline(record_path, stdout, &error)) {
    g_printerr("mediaanalytics-collector: %s\n", error->message);
    return 1;
  }
  return 0;
}
