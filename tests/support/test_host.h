// What the machine running the tests offers to the fixtures that start real servers: programs
// found on PATH (or the usual system directories) and free TCP ports on 127.0.0.1.
//
// Thread-safe: the functions keep no state.
#pragma once

#include <string>

namespace pcfdemo::testing {

// The full path of an executable `name` found in PATH, then in /usr/bin, /usr/sbin,
// /usr/local/bin and /usr/local/sbin; empty if there is none.
std::string FindProgram(const std::string& name);

// A TCP port on 127.0.0.1 that was free a moment ago, chosen by the kernel. Throws
// std::runtime_error if no port could be had.
int PickFreeLoopbackPort();

}  // namespace pcfdemo::testing
