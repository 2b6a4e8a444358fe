#include "tls-trust.h"

#include <utility>

namespace mediaanalytics {

std::shared_ptr<const TlsTrust> TlsTrust::load(const std::string &ca_file,
                                               std::string &error) {
  // glib-networking's file database takes absolute paths only: with a
  // relative one it loads nothing and reports no error.
  g_autofree char *path = g_canonicalize_filename(ca_file.c_str(), nullptr);
  // Read first for a plain answer: the database says "error while reading"
  // for both a missing file and one without a certificate.
  g_autoptr(GError) err = nullptr;
  GList *certificates = g_tls_certificate_list_new_from_file(path, &err);
  if (!certificates && !err) {
    error = "'" + ca_file + "' holds no PEM certificate";
    return nullptr;
  }
  g_list_free_full(certificates, g_object_unref);
  GTlsDatabase *database = err ? nullptr : g_tls_file_database_new(path, &err);
  if (!database) {
    error = "cannot load '" + ca_file + "': " + err->message;
    return nullptr;
  }
  return std::shared_ptr<const TlsTrust>(new TlsTrust(ca_file, database));
}

TlsTrust::TlsTrust(std::string file, GTlsDatabase *database)
    : file_(std::move(file)), database_(database) {}

TlsTrust::~TlsTrust() {
  g_object_unref(database_);
}

GTlsCertificateFlags TlsTrust::verify(GTlsCertificate *peer,
                                      GSocketConnectable *identity) const {
  g_autoptr(GError) error = nullptr;
  GTlsCertificateFlags flags = g_tls_database_verify_chain(
      database_, peer, G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER, identity, nullptr,
      G_TLS_DATABASE_VERIFY_NONE, nullptr, &error);
  // An error (not a verdict) means the chain could not be checked at all.
  return error ? G_TLS_CERTIFICATE_GENERIC_ERROR : flags;
}

std::string describe_certificate_problems(GTlsCertificateFlags flags) {
  static const struct {
    GTlsCertificateFlags flag;
    const char *words;
  } kProblems[] = {
      {G_TLS_CERTIFICATE_UNKNOWN_CA, "it is signed by an unknown certificate authority"},
      {G_TLS_CERTIFICATE_BAD_IDENTITY, "it does not match the endpoint's host"},
      {G_TLS_CERTIFICATE_NOT_ACTIVATED, "it is not valid yet"},
      {G_TLS_CERTIFICATE_EXPIRED, "it has expired"},
      {G_TLS_CERTIFICATE_REVOKED, "it has been revoked"},
      {G_TLS_CERTIFICATE_INSECURE, "it uses an insecure algorithm"},
      {G_TLS_CERTIFICATE_GENERIC_ERROR, "it could not be verified"},
  };
  std::string out;
  for (const auto &problem : kProblems) {
    if (flags & problem.flag)
      out += (out.empty() ? "" : ", ") + std::string(problem.words);
  }
  return out.empty() ? "it could not be verified" : out;
}

}  // namespace mediaanalytics
