// An HttpClient on libcurl: one easy handle per calling thread so connections are reused,
// http and https only, no signals, redirects not followed. Thread-safe.
#pragma once

#include <memory>

#include "pcfdemo/http_client.h"

namespace pcfdemo {

std::unique_ptr<HttpClient> NewCurlHttpClient();

}  // namespace pcfdemo
