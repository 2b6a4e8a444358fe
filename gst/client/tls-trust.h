// A private certificate authority for https endpoints (the element's
// tls-ca-file property). The Sender's sessions keep the system's TLS
// database; a client with a TlsTrust has each of its requests accept, in
// addition, a certificate that chains to one of the CA file's certificates
// and names the endpoint's host. Anything else stays refused. The Sender
// gives each trust a session of its own (sender.h), so that a connection
// this trust admitted never carries another client's request.
#pragma once

#include <gio/gio.h>

#include <memory>
#include <string>

namespace mediaanalytics {

class TlsTrust {
 public:
  // Reads `ca_file` (PEM, one or more CA certificates) once. nullptr, with
  // `error` set to a sentence naming the file, when it cannot be read or
  // holds no certificate.
  static std::shared_ptr<const TlsTrust> load(const std::string &ca_file,
                                              std::string &error);

  ~TlsTrust();
  TlsTrust(const TlsTrust &) = delete;
  TlsTrust &operator=(const TlsTrust &) = delete;

  // What is wrong with the chain `peer` for the server `identity` when it is
  // checked against the CA file only: 0 when it is trusted. Thread-safe; no
  // I/O (the certificates are in memory).
  GTlsCertificateFlags verify(GTlsCertificate *peer, GSocketConnectable *identity) const;

  const std::string &file() const { return file_; }

 private:
  TlsTrust(std::string file, GTlsDatabase *database);

  const std::string file_;
  GTlsDatabase *const database_;  // owned
};

// The problems of a certificate in words, e.g. "it is signed by an unknown
// certificate authority, it does not match the host name".
std::string describe_certificate_problems(GTlsCertificateFlags flags);

}  // namespace mediaanalytics
