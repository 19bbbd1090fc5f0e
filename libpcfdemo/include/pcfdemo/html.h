// Text for server-rendered HTML pages. Every value that reaches a page goes through
// EscapeHtml, whatever its origin (instance names and run data come from other processes).
// Pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace pcfdemo {

// `text` with &, <, >, " and ' replaced by character references, safe inside element
// content and inside quoted attribute values. Control characters other than tab, newline
// and carriage return are dropped.
std::string EscapeHtml(std::string_view text);

}  // namespace pcfdemo
