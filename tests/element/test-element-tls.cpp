// An https endpoint: the collector process serving TLS with a certificate of
// a private certificate authority that the test makes with the openssl CLI.
// By default the element refuses it (nothing arrives, a WARNING says why and
// names tls-ca-file); with tls-ca-file set to the CA the whole session
// arrives; a CA file that cannot be loaded fails NULL→READY naming it. Every
// check is on the collector's record or on the bus.

#include "element-fixture.h"

#include <set>
#include <string>
#include <vector>

using namespace collector_test;
using namespace element_test;

namespace {

// A private CA and a certificate it signed for `host` (an IP address), made
// at test time in a new directory of the test case.
struct Certificates {
  std::string dir;
  std::string ca;     // the CA's certificate (PEM)
  std::string cert;   // the server's certificate (PEM)
  std::string key;    // the server's private key (PEM)
  std::string rogue;  // another CA's certificate, which signed nothing here

  explicit Certificates(const char *host = "127.0.0.1") : dir(make_run_dir()) {
    ca = path("ca.pem");
    cert = path("server.pem");
    key = path("server.key");
    rogue = path("rogue.pem");
    make_ca("ca", "mediaanalytics test CA");
    make_ca("rogue", "another test CA");
    openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", key, "-out", path("server.csr"), "-subj",
             std::string("/CN=") + host});
    const std::string extensions = path("server.ext");
    fail_unless(
        g_file_set_contents(extensions.c_str(),
                            (std::string("subjectAltName=IP:") + host + "\n").c_str(), -1,
                            nullptr),
        "cannot write %s", extensions.c_str());
    openssl({"x509", "-req", "-in", path("server.csr"), "-CA", ca, "-CAkey",
             path("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", extensions,
             "-out", cert});
  }

  std::string path(const char *name) const {
    g_autofree char *p = g_build_filename(dir.c_str(), name, nullptr);
    return p;
  }

  void make_ca(const std::string &name, const char *common_name) {
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", path((name + ".key").c_str()), "-out",
             path((name + ".pem").c_str()), "-days", "2", "-subj",
             std::string("/CN=") + common_name, "-addext",
             "basicConstraints=critical,CA:TRUE", "-addext",
             "keyUsage=critical,keyCertSign"});
  }

  static void openssl(std::vector<std::string> args) {
    args.insert(args.begin(), "openssl");
    Finished run = run_program(args, 10000);
    fail_unless(run.exited && run.status == 0, "openssl %s failed: %s", args[1].c_str(),
                run.err.c_str());
  }
};

// The collector serving https with the test's certificate.
std::vector<std::string> tls_args(const Certificates &certs) {
  std::vector<std::string> args = collector_args();
  args.push_back("--tls-cert=" + certs.cert);
  args.push_back("--tls-key=" + certs.key);
  return args;
}

// audiotestsrc (0.5 s) ! mediaanalytics name=ma ! fakesink, for `endpoint`,
// with a short flush-timeout: what cannot be delivered is dropped quickly.
struct TlsPipeline : Pipeline {
  explicit TlsPipeline(const std::string &endpoint)
      : Pipeline(
            "audiotestsrc num-buffers=22 is-live=false ! mediaanalytics name=ma ! "
            "fakesink sync=true") {
    configure(endpoint, "test-tone");
    g_object_set(ma, "flush-timeout", static_cast<guint64>(300 * GST_MSECOND), nullptr);
  }

  // Waits up to `timeout_ms` for a WARNING from the element containing
  // `text`; returns all the warnings seen, for the failure message.
  bool wait_warning(const char *text, int timeout_ms = 10000) {
    const int64_t until = now_ms() + timeout_ms;
    do {
      if (observed.all_warnings().find(text) != std::string::npos)
        return true;
      sleep_ms(10);
    } while (now_ms() < until);
    return false;
  }
};

// The collector's https URL with `host` instead of its address.
std::string with_host(const Collector &c, const char *host) {
  return std::string("https://") + host + ":" + std::to_string(c.port());
}

}  // namespace

// ---------------------------------------------------------------------------

// The collector prints an https URL when it serves TLS.
GST_START_TEST(test_collector_serves_https) {
  Certificates certs;
  Collector c(tls_args(certs));
  fail_unless(g_str_has_prefix(c.url().c_str(), "https://127.0.0.1:"),
              "the collector printed %s", c.url().c_str());
}
GST_END_TEST;

// By default the private CA's certificate is refused: nothing arrives, the
// first refusal gives a WARNING that says why and names tls-ca-file, and the
// events are accounted (dropped at the flush), not lost silently.
GST_START_TEST(test_refused_by_default) {
  Certificates certs;
  Collector c(tls_args(certs));
  TlsPipeline p(c.url());
  p.set_state(GST_STATE_PLAYING);
  p.wait_eos();
  fail_unless(p.wait_warning("was refused"), "no refusal warning; warnings: %s",
              p.observed.all_warnings().c_str());
  p.set_state(GST_STATE_NULL);
  const std::string warnings = p.observed.all_warnings();
  fail_unless(warnings.find("TLS certificate of " + c.url() + " was refused") !=
                  std::string::npos,
              "the warning does not name the endpoint: %s", warnings.c_str());
  fail_unless(warnings.find("unknown certificate authority") != std::string::npos,
              "the warning does not say why: %s", warnings.c_str());
  fail_unless(warnings.find("tls-ca-file") != std::string::npos,
              "the warning does not name tls-ca-file: %s", warnings.c_str());
  fail_unless(warnings.find("bad-certificate") != std::string::npos,
              "the warning's debug text does not give its kind: %s", warnings.c_str());
  fail_unless_equals_uint64(p.stat("events-sent"), 0);
  fail_unless_equals_uint64(p.stat("events-dropped"), p.stat("events-generated"));
  fail_unless(p.stat("events-generated") >= 1, "no event was generated");
  fail_unless(c.stop() == 0);
  const Lines requests = requests_of(c.record());
  fail_unless(requests.empty(), "%zu requests arrived: %s", requests.size(),
              types_of(requests).c_str());
}
GST_END_TEST;

// With tls-ca-file set to the CA, the whole session arrives, over one
// connection: what the private CA admitted is reused by the same element.
GST_START_TEST(test_private_ca_accepted) {
  Certificates certs;
  Collector c(tls_args(certs));
  TlsPipeline p(c.url());
  g_object_set(p.ma, "tls-ca-file", certs.ca.c_str(), nullptr);
  p.set_state(GST_STATE_PLAYING);
  p.wait_eos();
  p.wait_reports("sessionComplete", 1);
  p.set_state(GST_STATE_NULL);
  p.expect_no_warnings();
  check_session(c, {"sessionStart", "play", "sessionComplete"});
  std::set<std::string> peers;
  for (const Line &request : requests_of(c.record()))
    peers.insert(request.str("peer"));
  fail_unless_equals_int(peers.size(), 1);
}
GST_END_TEST;

// Plays to `endpoint` of `c` with `ca_file`: refused with a warning that
// says `why`, and nothing arrives.
static void check_refused(Collector &c, const std::string &endpoint,
                          const std::string &ca_file, const char *why) {
  TlsPipeline p(endpoint);
  g_object_set(p.ma, "tls-ca-file", ca_file.c_str(), nullptr);
  p.set_state(GST_STATE_PLAYING);
  p.wait_eos();
  fail_unless(p.wait_warning(why), "no warning saying \"%s\"; warnings: %s", why,
              p.observed.all_warnings().c_str());
  p.set_state(GST_STATE_NULL);
  fail_unless(c.stop() == 0);
  fail_unless(requests_of(c.record()).empty(), "requests arrived");
}

// Another CA's certificate in tls-ca-file does not make the server's
// certificate trusted.
GST_START_TEST(test_other_ca_refused) {
  Certificates certs;
  Collector c(tls_args(certs));
  check_refused(c, c.url(), certs.rogue, "unknown certificate authority");
}
GST_END_TEST;

// The CA's certificate for 127.0.0.1 does not vouch for another host name
// (localhost reaches the same server): the host identity is checked.
GST_START_TEST(test_wrong_host_refused) {
  Certificates certs;
  Collector c(tls_args(certs));
  check_refused(c, with_host(c, "localhost"), certs.ca,
                "does not match the endpoint's host");
}
GST_END_TEST;

// One element's tls-ca-file does not extend to another element of the
// process (they share the sending thread, and a pooled connection is reused
// without a handshake): the one without it sends nothing, even right after
// the other's requests went to the same server.
GST_START_TEST(test_trust_not_shared) {
  Certificates certs;
  Collector c(tls_args(certs));
  TlsPipeline trusting(c.url());
  g_object_set(trusting.ma, "tls-ca-file", certs.ca.c_str(), nullptr);
  trusting.set_state(GST_STATE_PLAYING);
  trusting.wait_eos();
  trusting.wait_reports("sessionComplete", 1);
  TlsPipeline other(c.url());
  other.set_state(GST_STATE_PLAYING);
  other.wait_eos();
  fail_unless(other.wait_warning("was refused"), "no refusal warning; warnings: %s",
              other.observed.all_warnings().c_str());
  other.set_state(GST_STATE_NULL);
  trusting.set_state(GST_STATE_NULL);
  fail_unless_equals_uint64(other.stat("events-sent"), 0);
  check_session(c, {"sessionStart", "play", "sessionComplete"});
}
GST_END_TEST;

// A CA file that does not exist, or holds no PEM certificate, fails NULL→READY
// with an ERROR naming tls-ca-file.
static void check_bad_ca_file(const std::string &file) {
  TlsPipeline p("https://127.0.0.1:9");
  g_object_set(p.ma, "tls-ca-file", file.c_str(), nullptr);
  fail_unless(
      gst_element_set_state(p.pipeline, GST_STATE_READY) == GST_STATE_CHANGE_FAILURE,
      "NULL→READY succeeded with tls-ca-file=%s", file.c_str());
  std::string errors;
  {
    std::lock_guard<std::mutex> l(p.observed.lock);
    errors = Observed::describe(p.observed.errors);
  }
  fail_unless(errors.find("tls-ca-file") != std::string::npos &&
                  errors.find(file) != std::string::npos,
              "the ERROR does not name tls-ca-file and the file: %s", errors.c_str());
}

GST_START_TEST(test_missing_ca_file) {
  check_bad_ca_file(make_run_dir() + "/no-such-ca.pem");
}
GST_END_TEST;

GST_START_TEST(test_not_pem_ca_file) {
  const std::string file = make_run_dir() + "/not-a-ca.pem";
  fail_unless(g_file_set_contents(file.c_str(), "not a certificate\n", -1, nullptr));
  check_bad_ca_file(file);
}
GST_END_TEST;

static Suite *tls_suite(void) {
  Suite *s = suite_create("element-tls");
  TCase *tc = add_process_tcase(s);
  tcase_add_test(tc, test_collector_serves_https);
  tcase_add_test(tc, test_refused_by_default);
  tcase_add_test(tc, test_private_ca_accepted);
  tcase_add_test(tc, test_other_ca_refused);
  tcase_add_test(tc, test_wrong_host_refused);
  tcase_add_test(tc, test_trust_not_shared);
  tcase_add_test(tc, test_missing_ca_file);
  tcase_add_test(tc, test_not_pem_ca_file);
  return s;
}

GST_CHECK_MAIN(tls);
