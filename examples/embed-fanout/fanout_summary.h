// The summary embed-fanout prints for a fan-out: one "name: value" line per figure, so a
// person can read it and a script can grep it.
#pragma once

#include <string>

#include "pcfdemo/request_fanout.h"

namespace embed_fanout {

// Lines:
//   calls planned: N / calls made: N / succeeded: N / failed: N / stopped early: yes|no
//   status S: N            (one line per status; 0 means no answer)
//   instance NAME: N       (one line per answering instance, from X-Pcfdemo-Instance)
//   error TEXT: N          (one line per distinct error)
//   latency ms: p50 X p95 Y p99 Z
//   calls per second: R
std::string Summarise(const pcfdemo::FanoutPlan& plan, const pcfdemo::FanoutReport& report);

}  // namespace embed_fanout
