#include "serving_handler.h"

#include <utility>

namespace pcfdemo::web {

ServingHandler::ServingHandler(std::shared_ptr<Pistache::Rest::Router> router, DirectRoute direct)
    : router_(std::move(router)), direct_(std::move(direct)) {}

void ServingHandler::onRequest(const Pistache::Http::Request& request,
                               Pistache::Http::ResponseWriter response) {
  if (request.method() == direct_.method && request.resource() == direct_.path) {
    direct_.answer(request, response);
    return;
  }
  // The router answers every request itself, an unknown route through the not-found handler
  // SetFallbackRoutes mounts; its status says nothing more to do.
  router_->route(request, std::move(response));
}

void ServingHandler::onDisconnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  router_->disconnectPeer(peer);
}

}  // namespace pcfdemo::web
