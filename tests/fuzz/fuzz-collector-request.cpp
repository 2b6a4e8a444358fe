// libFuzzer target: requests to the collector, through the whole server
// (libsoup's HTTP/1.1 parsing, routing, body reading, schema validation, the
// session checker and store, the record) over in-memory connections: no
// socket carries them.
//
// The input is a sequence of requests separated by "\n--\n". Each one is
//   METHOD PATH       the request line, without the HTTP version
//   Name: value       headers, if any, up to a blank line
//                     (without headers the body starts right after the line)
//   body
// and goes on a connection of its own, with Host, Content-Type:
// application/json (unless a Content-Type is given) and the body's
// Content-Length added. "{sid}" in a path stands for the session the last 201
// opened, so that events reach a real session.
//
// Invariants: no crash, undefined behaviour or leak; every complete request
// is answered, with a status the collector or libsoup may give; a 201 carries
// a Location of the path form whose session ID the client accepts; a JSON
// answer parses; every line of the record is valid UTF-8 without raw control
// characters and parses as JSON.
#include "fuzz-support.h"
#include "location.h"
#include "record.h"
#include "server.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view kRequestSeparator = "\n--\n";
constexpr std::string_view kSessionPlaceholder = "{sid}";
constexpr char kSessionsPath[] = "/api/v1/sessions";
// Small, so that short inputs reach the 413 paths too.
constexpr int64_t kMaxBodyBytes = 2048;

// Every status the collector answers with (faults are off), and those libsoup
// answers a malformed request with before any handler runs.
const std::set<unsigned> kSaneStatuses = {
    SOUP_STATUS_OK,
    SOUP_STATUS_CREATED,
    SOUP_STATUS_NO_CONTENT,
    SOUP_STATUS_BAD_REQUEST,
    SOUP_STATUS_NOT_FOUND,
    SOUP_STATUS_METHOD_NOT_ALLOWED,
    SOUP_STATUS_GONE,
    SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
    SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
    SOUP_STATUS_EXPECTATION_FAILED,
    SOUP_STATUS_NOT_IMPLEMENTED,
    SOUP_STATUS_HTTP_VERSION_NOT_SUPPORTED,
};

struct FuzzRequest {
  std::string line;     // "METHOD PATH"
  std::string headers;  // "Name: value" lines, '\n'-separated
  std::string body;
};

std::vector<std::string_view> split(std::string_view input, std::string_view separator) {
  std::vector<std::string_view> parts;
  for (std::size_t at; (at = input.find(separator)) != std::string_view::npos;) {
    parts.push_back(input.substr(0, at));
    input.remove_prefix(at + separator.size());
  }
  parts.push_back(input);
  return parts;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

// The value of the header `line` if it is `name` (any case), or nothing.
std::optional<std::string_view> header_value(std::string_view line,
                                             std::string_view name) {
  const std::size_t colon = line.find(':');
  if (colon != name.size() || g_ascii_strncasecmp(line.data(), name.data(), colon) != 0)
    return std::nullopt;
  return trimmed(line.substr(colon + 1));
}

FuzzRequest parse_request(std::string_view text) {
  FuzzRequest request;
  const std::size_t line_end = std::min(text.find('\n'), text.size());
  request.line = std::string(text.substr(0, line_end));
  std::string_view rest = text.substr(std::min(line_end + 1, text.size()));
  if (!rest.empty() && rest.front() == '\n') {
    request.body = std::string(rest.substr(1));
    return request;
  }
  const std::size_t headers_end = std::min(rest.find("\n\n"), rest.size());
  request.headers = std::string(rest.substr(0, headers_end));
  request.body = std::string(rest.substr(std::min(headers_end + 2, rest.size())));
  return request;
}

void replace_all(std::string &text, std::string_view from, const std::string &to) {
  for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos;
       at += to.size())
    text.replace(at, from.size(), to);
}

bool has_header(const std::string &headers, std::string_view name) {
  const std::vector<std::string_view> lines = split(headers, "\n");
  return std::any_of(lines.begin(), lines.end(), [name](std::string_view line) {
    return header_value(line, name).has_value();
  });
}

// The request's bytes, as a client would send them.
std::string wire_request(const FuzzRequest &request) {
  std::string wire = request.line + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!has_header(request.headers, "content-type"))
    wire += "Content-Type: application/json\r\n";
  if (!has_header(request.headers, "content-length") &&
      !has_header(request.headers, "transfer-encoding"))
    wire += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  for (std::string_view header : split(request.headers, "\n"))
    if (!header.empty())
      wire.append(header).append("\r\n");
  return wire + "\r\n" + request.body;
}

// Whether libsoup may rightly wait for more than the request holds and then
// give up without an answer: the input set the framing itself.
bool may_go_unanswered(const FuzzRequest &request) {
  return has_header(request.headers, "content-length") ||
         has_header(request.headers, "transfer-encoding") ||
         has_header(request.headers, "expect");
}

// Sends `wire` on an in-memory connection and returns what the server wrote
// back.
std::string exchange(collector::Server &server, const std::string &wire) {
  g_autoptr(GInputStream) in = g_memory_input_stream_new_from_data(
      g_memdup2(wire.data(), wire.size()), static_cast<gssize>(wire.size()), g_free);
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();
  g_autoptr(GIOStream) connection = g_simple_io_stream_new(in, out);
  g_autoptr(GSocketAddress) peer =
      g_inet_socket_address_new_from_string("127.0.0.1", 40000);
  g_autoptr(GError) error = nullptr;
  fuzz::require(server.serve_stream(connection, peer, &error) != FALSE,
                "the server takes the connection", error ? error->message : "");
  // The streams are always ready, so libsoup reads, answers and writes as
  // long as there is input; once it has nothing left to dispatch, what it
  // wrote is its whole answer (a connection kept alive waits for a next
  // request, until stop() closes it).
  while (g_main_context_iteration(nullptr, FALSE)) {
  }
  auto *memory = G_MEMORY_OUTPUT_STREAM(out);
  return std::string(static_cast<const char *>(g_memory_output_stream_get_data(memory)),
                     g_memory_output_stream_get_data_size(memory));
}

bool is_path_location(const char *location) {
  if (!g_str_has_prefix(location, kSessionsPath) ||
      location[strlen(kSessionsPath)] != '/')
    return false;
  const char *id = location + strlen(kSessionsPath) + 1;
  if (*id == '\0')
    return false;
  for (const char *c = id; *c; c++)
    if (!g_ascii_isalnum(*c) && !strchr("-._~", *c))
      return false;
  return true;
}

// Checks one final answer (status, Location, JSON body) starting at `at` in
// what the server wrote; returns where the next one starts, and sets
// `session` to the ID of a 201.
std::size_t check_final_answer(const std::string &written, std::size_t at,
                               std::string *session) {
  const std::size_t head_end = written.find("\r\n\r\n", at);
  fuzz::require(head_end != std::string::npos, "an answer has a complete head",
                written.substr(at));
  g_autoptr(SoupMessageHeaders) headers =
      soup_message_headers_new(SOUP_MESSAGE_HEADERS_RESPONSE);
  guint status = 0;
  fuzz::require(soup_headers_parse_response(written.c_str() + at,
                                            static_cast<int>(head_end + 2 - at), headers,
                                            nullptr, &status, nullptr) != FALSE,
                "an answer's head parses", written.substr(at));
  const std::size_t body_start = head_end + 4;
  if (SOUP_STATUS_IS_INFORMATIONAL(status))  // 100 Continue: the answer follows
    return body_start;
  fuzz::require(kSaneStatuses.count(status) != 0, "an answer has a sane status",
                written.substr(at));
  if (status == SOUP_STATUS_CREATED) {
    const char *location = soup_message_headers_get_one(headers, "Location");
    fuzz::require(location && is_path_location(location),
                  "a 201 has a Location /api/v1/sessions/<id>", written.substr(at));
    auto id = mediaanalytics::session_id_from_location(location);
    fuzz::require(id.has_value(), "the client accepts the Location of a 201", location);
    *session = *id;
  }
  const auto length = static_cast<std::size_t>(
      std::max<goffset>(soup_message_headers_get_content_length(headers), 0));
  const std::string body = written.substr(body_start, length);
  const char *type = soup_message_headers_get_content_type(headers, nullptr);
  if (type && g_ascii_strcasecmp(type, "application/json") == 0)
    fuzz::require(fuzz::is_utf8(body) && fuzz::parses_as_json(body),
                  "a JSON answer is UTF-8 and parses", body);
  return body_start + length;
}

// Checks every answer the server wrote to one request (more than one when the
// input's own framing made it several); returns the ID of the last session
// opened, if any.
std::string check_answers(const FuzzRequest &request, const std::string &written) {
  if (written.empty())
    fuzz::require(may_go_unanswered(request), "a complete request is answered",
                  wire_request(request));
  std::string session;
  for (std::size_t at = 0; at < written.size();)
    at = check_final_answer(written, at, &session);
  return session;
}

void check_record(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  for (std::string line; std::getline(file, line);) {
    fuzz::require(fuzz::is_utf8(line), "a record line is UTF-8", line);
    fuzz::require(
        std::none_of(line.begin(), line.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20; }),
        "a record line has no raw control character", line);
    std::string error;
    fuzz::require(fuzz::parses_as_json(line, &error), "a record line parses as JSON",
                  error + ": " + line);
  }
}

// The record's file: one per process, in the temporary directory, removed
// when the process exits (not when it crashes: the record may tell why).
class RecordFile {
 public:
  RecordFile() {
    g_autofree gchar *name = nullptr;
    const int fd = g_file_open_tmp("fuzz-collector-record-XXXXXX.jsonl", &name, nullptr);
    fuzz::require(fd >= 0, "a temporary file for the record");
    close(fd);
    path_ = name;
  }
  ~RecordFile() { g_unlink(path_.c_str()); }
  RecordFile(const RecordFile &) = delete;
  RecordFile &operator=(const RecordFile &) = delete;

  const std::string &path() const { return path_; }

 private:
  std::string path_;
};

const std::string &record_path() {
  static const RecordFile file;
  return file.path();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view input(reinterpret_cast<const char *>(data), size);
  g_autoptr(GError) error = nullptr;
  // A fresh server (and record) per input: each input replays on its own.
  std::unique_ptr<collector::Record> record =
      collector::Record::open(record_path(), &error);
  fuzz::require(record != nullptr, "the record opens", error ? error->message : "");
  collector::ServerOptions options;
  options.max_body_bytes = kMaxBodyBytes;
  {
    collector::Server server(options, *record);
    fuzz::require(server.start(&error) != FALSE, "the collector starts",
                  error ? error->message : "");
    std::string session = "no-session-yet";
    for (std::string_view text : split(input, kRequestSeparator)) {
      FuzzRequest request = parse_request(text);
      replace_all(request.line, kSessionPlaceholder, session);
      std::string opened =
          check_answers(request, exchange(server, wire_request(request)));
      if (!opened.empty())
        session = opened;
    }
    server.stop();
  }
  record.reset();
  check_record(record_path());
  return 0;
}
