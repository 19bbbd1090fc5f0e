// The HTTP handler pcfdemo-web serves with. GET /receiver, the hot path of every run, is
// answered straight from the request as Pistache parsed it; every other request goes through
// Pistache's REST router, which first copies the request (its headers, cookies and query)
// into a request of its own. docs/performance.md has what that copy cost the receiver.
//
// Pistache clones the handler for each of its threads; the clones share the router and the
// direct route, which are only read while serving.
#pragma once

#include <pistache/http.h>
#include <pistache/router.h>

#include <memory>

#include "routing.h"

namespace pcfdemo::web {

class ServingHandler : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(ServingHandler)

  // REQUIRES: every route, `direct` included, is mounted on `router` already.
  ServingHandler(std::shared_ptr<Pistache::Rest::Router> router, DirectRoute direct);

  void onRequest(const Pistache::Http::Request& request,
                 Pistache::Http::ResponseWriter response) override;
  void onDisconnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;

 private:
  std::shared_ptr<Pistache::Rest::Router> router_;
  DirectRoute direct_;
};

}  // namespace pcfdemo::web
