// The ceiling of the HTTP server pcfdemo-web is built on: Pistache with one route that does
// nothing, answered the way pcfdemo-web answers (HTTP/1.1 keep-alive, a small JSON body), so
// tests/perf/run.sh can show in the same run how much of the distance between /receiver and
// nginx is the framework's and how much is pcfdemo's own work.
//
// usage: pistache_ceiling PORT THREADS MODE
//   MODE queued: ResponseWriter::send, Pistache's only way to answer (the write goes through
//                the transport's queue and is sent on the next turn of its event loop)
//   MODE inline: the same bytes written with send(2) from the handler, on the event loop's
//                own thread; an experiment that shows what the queue costs, not a server to
//                use (a pipelining client could see answers out of order)
// Listens on 127.0.0.1 until SIGTERM or SIGINT.
#include <pistache/endpoint.h>
#include <pistache/peer.h>
#include <pistache/router.h>
#include <signal.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

namespace {

constexpr char kBody[] = "{\"instance\":\"0/ceiling\",\"timestamp\":1,\"counted\":true}";

const std::string& InlineAnswer() {
  static const std::string answer =
      std::string("HTTP/1.1 200 OK\r\nConnection: Keep-Alive\r\nContent-Type: application/json\r\n"
                  "Content-Length: ") +
      std::to_string(sizeof(kBody) - 1) + "\r\n\r\n" + kBody;
  return answer;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 || (std::strcmp(argv[3], "queued") != 0 && std::strcmp(argv[3], "inline") != 0)) {
    std::cerr << "usage: pistache_ceiling PORT THREADS queued|inline\n";
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int threads = std::atoi(argv[2]);
  const bool inline_answer = std::strcmp(argv[3], "inline") == 0;

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Pistache::Rest::Router router;
  router.addRoute(
      Pistache::Http::Method::Get, "/receiver",
      [inline_answer](const Pistache::Rest::Request&, Pistache::Http::ResponseWriter response) {
        if (inline_answer) {
          const std::string& answer = InlineAnswer();
          ::send(response.peer()->fd(), answer.data(), answer.size(), MSG_NOSIGNAL);
          return Pistache::Rest::Route::Result::Ok;
        }
        // Pistache 0.0.5 closes HTTP/1.1 connections whose request has no Connection header
        // unless the answer says keep-alive (pcfdemo-web does the same).
        response.headers().remove<Pistache::Http::Header::Connection>();
        response.headers().add<Pistache::Http::Header::Connection>(
            Pistache::Http::ConnectionControl::KeepAlive);
        response.send(Pistache::Http::Code::Ok, kBody, MIME(Application, Json));
        return Pistache::Rest::Route::Result::Ok;
      });

  Pistache::Http::Endpoint endpoint(
      Pistache::Address("127.0.0.1", Pistache::Port(static_cast<uint16_t>(port))));
  endpoint.init(Pistache::Http::Endpoint::options()
                    .threads(threads)
                    .flags(Pistache::Tcp::Options::ReuseAddr));
  endpoint.setHandler(router.handler());
  endpoint.serveThreaded();

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  endpoint.shutdown();
  return 0;
}
