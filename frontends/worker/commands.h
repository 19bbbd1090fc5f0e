// The commands of pcfdemo-worker. Each takes the arguments after its name, writes its
// output to stdout and its log lines and errors to stderr, and returns the process's exit
// status: 0 on success, 1 when a backend failed, 2 for bad input (with a one-line reason).
#pragma once

#include <string>
#include <vector>

// `pcfdemo-worker request [config flags]`: the request worker against the shared memcached
// and database, until SIGTERM or SIGINT.
int RunRequestCommand(const std::vector<std::string>& args);

// `pcfdemo-worker cpu [--target PERCENT] [--threads K] [--duration SECONDS]`: the CPU load
// worker.
int RunCpuCommand(const std::vector<std::string>& args);

// `pcfdemo-worker fanout --url URL --calls N [--concurrency K] [--timeout MS] [--json]`:
// one fan-out from this process, summarised on stdout.
int RunFanoutCommand(const std::vector<std::string>& args);
