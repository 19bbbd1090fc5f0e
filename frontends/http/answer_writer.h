// How pcfdemo-web puts an answer on the wire. Pistache 0.0.5's ResponseWriter::send never
// writes from the handler: it queues the bytes and wakes the event loop through an eventfd,
// which re-arms the connection for writing, sends on its next turn and re-arms it for
// reading: about six system calls and two loop turns per answer (docs/performance.md). Here
// the answer is written with one send(2) from the thread that runs the handler, which is the
// event loop's own thread for the connection; only what the socket does not take at once goes
// to Pistache's queue.
//
// Order of answers on one connection: every route of pcfdemo-web answers through
// WriteAnswer, synchronously, in the order the requests are handled. Once some answer on a
// connection has gone to Pistache's queue, every later answer on it is queued too, so a
// queued answer is never overtaken.
// Limitation: answers Pistache writes itself (400, 413 or 500 for a request it cannot parse)
// are always queued, so the answer to a request that follows such a one on the same
// connection can arrive first. Well-formed requests never take that path: every route, and
// every other method on a known path (405), answers through WriteAnswer.
#pragma once

#include <pistache/http.h>

#include <string_view>

namespace pcfdemo::web {

// Writes `code` with `body` (and `content_type`, when not empty) as the answer to `request`,
// naming `instance` in the X-Pcfdemo-Instance header, with the headers and cookies already set
// on `response`. Decides the Connection header: HTTP/1.1
// keeps the connection open unless the client asked to close it, HTTP/1.0 closes it unless the
// client asked to keep it; a closing answer is followed by shutting down the connection's
// sending side, so the client sees the end of the connection after the answer.
// REQUIRES: called from the handler of `request`, on the thread Pistache called it on.
void WriteAnswer(const Pistache::Http::Request& request, Pistache::Http::ResponseWriter& response,
                 Pistache::Http::Code code, std::string_view instance,
                 std::string_view content_type, std::string_view body);

// True when the connection of `request` stays open after its answer (see WriteAnswer).
bool KeepsConnectionOpen(const Pistache::Http::Request& request);

}  // namespace pcfdemo::web
