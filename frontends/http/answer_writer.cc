#include "answer_writer.h"

#include <pistache/peer.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <sstream>
#include <string>

#include "pcfdemo/http_client.h"

namespace pcfdemo::web {
namespace {

using Pistache::Http::ConnectionControl;

// Marks a connection on which an answer went to Pistache's write queue. Short enough to stay
// in std::string's inline buffer: Pistache takes the name by value on every lookup.
const std::string kQueuedMark = "pcfdemo.queued";

void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

// The headers and cookies a handler set on `response`, except Connection, which WriteAnswer
// decides, and Content-Type when WriteAnswer was given one.
void AppendHandlerHeaders(std::string& out, const Pistache::Http::ResponseWriter& response,
                          bool content_type_given) {
  auto decided_here = [content_type_given](std::string_view name) {
    return name == "Connection" || (content_type_given && name == "Content-Type");
  };
  auto headers = response.headers().list();
  const auto& cookies = response.cookies();
  bool nothing_to_write = cookies.begin() == cookies.end() &&
                          std::all_of(headers.begin(), headers.end(), [&](const auto& header) {
                            return decided_here(header->name());
                          });
  if (nothing_to_write) return;  // the usual case: no stream to build

  std::ostringstream stream;
  for (const auto& header : headers) {
    if (decided_here(header->name())) continue;
    stream << header->name() << ": ";
    header->write(stream);
    stream << "\r\n";
  }
  for (const auto& cookie : cookies) stream << "Set-Cookie: " << cookie << "\r\n";
  out.append(stream.str());
}

// Hands what the socket did not take to Pistache's queue, and marks the connection so that
// later answers queue behind it.
void Queue(const std::shared_ptr<Pistache::Tcp::Peer>& peer, std::string rest, bool close) {
  if (peer->tryGetData(kQueuedMark) == nullptr) {
    peer->putData(kQueuedMark, std::make_shared<bool>(true));  // throws if already there
  }
  size_t size = rest.size();
  auto written = peer->send(Pistache::RawBuffer(std::move(rest), size), MSG_NOSIGNAL);
  if (!close) return;
  std::weak_ptr<Pistache::Tcp::Peer> weak_peer = peer;
  written.then(
      [weak_peer](ssize_t) {
        if (auto alive = weak_peer.lock()) ::shutdown(alive->fd(), SHUT_WR);
      },
      Pistache::Async::IgnoreException);
}

}  // namespace

bool KeepsConnectionOpen(const Pistache::Http::Request& request) {
  auto connection = request.headers().tryGet<Pistache::Http::Header::Connection>();
  if (request.version() == Pistache::Http::Version::Http11) {
    return !connection || connection->control() != ConnectionControl::Close;
  }
  return connection && connection->control() == ConnectionControl::KeepAlive;
}

void WriteAnswer(const Pistache::Http::Request& request, Pistache::Http::ResponseWriter& response,
                 Pistache::Http::Code code, std::string_view instance,
                 std::string_view content_type, std::string_view body) {
  std::shared_ptr<Pistache::Tcp::Peer> peer;
  try {
    peer = response.peer();
  } catch (const std::exception&) {
    return;  // the client has gone: nobody to answer
  }
  const bool keep_open = KeepsConnectionOpen(request);

  std::string out;
  out.reserve(160 + body.size());
  out.append(request.version() == Pistache::Http::Version::Http11 ? "HTTP/1.1 " : "HTTP/1.0 ");
  out.append(std::to_string(static_cast<int>(code)))
      .append(" ")
      .append(Pistache::Http::codeString(code))
      .append("\r\n");
  if (!content_type.empty()) AppendHeader(out, "Content-Type", content_type);
  AppendHeader(out, kInstanceHeader, instance);
  AppendHandlerHeaders(out, response, !content_type.empty());
  AppendHeader(out, "Connection", keep_open ? "keep-alive" : "close");
  AppendHeader(out, "Content-Length", std::to_string(body.size()));
  out.append("\r\n");
  // A HEAD answer names the length of the body it would have, and has none.
  if (request.method() != Pistache::Http::Method::Head) out.append(body);

  peer->setIdle(true);  // answered: Pistache's keep-alive timer may close it quietly
  if (peer->tryGetData(kQueuedMark) != nullptr) {
    Queue(peer, std::move(out), !keep_open);
    return;
  }
  ssize_t sent = ::send(peer->fd(), out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    return;  // the connection is broken; Pistache notices it on its next read
  }
  size_t taken = sent < 0 ? 0 : static_cast<size_t>(sent);
  if (taken < out.size()) {
    Queue(peer, out.substr(taken), !keep_open);
    return;
  }
  if (!keep_open) ::shutdown(peer->fd(), SHUT_WR);
}

}  // namespace pcfdemo::web
