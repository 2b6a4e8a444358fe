// Strings that come from the stream (tags, TOC titles, the source's URI) made
// safe to become event params.
//
// Whoever made the media chose these strings, not the application: they may
// hold invalid UTF-8 (a request body must be valid JSON, RFC 8259 §8.1),
// control characters that reports would show as garbage or that split log
// lines, megabytes of text repeated in every request of the session, and a
// URI may carry credentials or access tokens that must never leave the
// machine in analytics.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mediaanalytics {

// The longest text sent for one stream string, in bytes. Adobe Analytics
// keeps 255 bytes of a variable (eVars) and its media reports show less, so a
// longer title or URI gains nothing in the reports; 1 KiB leaves room for
// long non-Latin titles (3 bytes a character) and real-world URIs, while a
// hostile multi-megabyte tag costs at most 1 KiB in each request that
// carries it.
inline constexpr std::size_t kMaxTextBytes = 1024;

// Text from the stream (tags, titles…) made safe to become a param value:
// * each byte that does not start a valid UTF-8 sequence (a stray
//   continuation byte, an overlong form, a surrogate, a truncated character)
//   becomes U+FFFD, as g_utf8_make_valid() does;
// * tab, line feed, vertical tab, form feed and carriage return become a
//   space (they separate words); the other C0 controls (NUL included), DEL
//   and the C1 controls (U+0080–U+009F) are removed;
// * leading and trailing white space (g_unichar_isspace()) is trimmed;
// * the result is at most `max_bytes` long, cut before the first character
//   that does not fit (never inside one), and trimmed again after the cut.
// The result is valid UTF-8 without control characters, and sanitizing it
// again changes nothing.
std::string sanitize_text(std::string_view text, std::size_t max_bytes = kMaxTextBytes);

// A URI from the stream without its credentials (userinfo), query and
// fragment, then sanitize_text(): scheme, host, port and path are kept.
// Anything is accepted, not only valid URIs: what GUri cannot parse still
// loses a "user:pass@" before its host and everything from the first '?' or
// '#', erring on the side of removing too much. The text is sanitized (with
// no length limit) before the credentials are looked for, so that a control
// character cannot hide an authority ("rtsp:/\x01/user:pw@host/"); GUri then
// escapes what a path cannot hold (a space from a line break is "%20").
std::string sanitize_uri(std::string_view uri);

}  // namespace mediaanalytics
