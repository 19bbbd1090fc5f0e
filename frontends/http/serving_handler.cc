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
  auto status = router_->route(request, response.clone());
  if (status == Pistache::Rest::Route::Status::NotFound) {
    // SetFallbackRoutes always mounts a not-found handler.
    router_->invokeNotFoundHandler(request, std::move(response));
  }
}

void ServingHandler::onDisconnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  router_->disconnectPeer(peer);
}

}  // namespace pcfdemo::web
