// Redaction of secrets from values a person is shown, above all the environment variables
// on the overview page. Whatever the page shows passes through here first, so a secret is
// hidden by its name (PASSWORD, SECRET, TOKEN, KEY, CREDENTIAL, ...), by its place (the
// password of a URL, the value of a secret-named query parameter, everything under a JSON
// "credentials" object such as Cloud Foundry's VCAP_SERVICES bindings) or by its value
// (the secrets this process knows it was given).
//
// The rules err on the side of hiding: an innocent variable whose name contains "key" is
// hidden too. Pure functions of their arguments; safe to call from any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pcfdemo {

// What a hidden value is replaced with.
inline constexpr char kRedacted[] = "***";

// True when `name` (an environment variable, a JSON key, a query parameter) names a secret:
// it contains, in any letter case, "pass" (password, passwd), "secret", "token", "key",
// "credential", "auth" or "private".
bool IsSecretName(std::string_view name);

// `text` with the password of every URL in it ("scheme://user:PASSWORD@host") replaced by
// kRedacted, and the value of every assignment to a secret name ("?token=VALUE&...",
// "Password=VALUE;", "--api-key=VALUE") too. Finds URLs anywhere in the text, so lists of
// URLs are covered. A user name alone ("scheme://user@host") is kept. A password that
// contains an unencoded '@' or '/' is still hidden whole: everything from the user name's
// ':' to the last '@' of the URL is.
std::string RedactText(std::string_view text);

// A JSON document, re-serialised compactly, with every value under a secret-named key (a
// "credentials" object included, leaf by leaf, keeping its keys so a reader sees what is
// bound) replaced by kRedacted and every other string passed through RedactText. nullopt
// when `json` is not valid JSON.
std::optional<std::string> RedactJson(std::string_view json);

// One environment variable's value as it may be shown: kRedacted for a secret name; a JSON
// value (VCAP_SERVICES and the like) through RedactJson, wholly hidden if it cannot be
// parsed while looking like JSON; otherwise through RedactText. Finally every occurrence
// of a string in `known_secrets` (empty ones ignored) that stands as a whole token is
// replaced by kRedacted (ReplaceSecretTokens).
std::string RedactEnvironmentValue(std::string_view name, std::string_view value,
                                   const std::vector<std::string>& known_secrets = {});

// `text` with every occurrence of `secret` that stands as a whole token (neither preceded
// nor followed by an ASCII letter or digit) replaced by kRedacted. A short secret inside a
// longer word ("demo" in "pcfdemo") is left alone: hiding it there would reveal it to anyone
// who compares the word with its known spelling. An empty secret changes nothing.
std::string ReplaceSecretTokens(std::string text, std::string_view secret);

// Every variable of `environment`, sorted by name, with its value redacted as above.
std::vector<std::pair<std::string, std::string>> RedactEnvironment(
    const std::map<std::string, std::string>& environment,
    const std::vector<std::string>& known_secrets = {});

}  // namespace pcfdemo
