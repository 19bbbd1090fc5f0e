#include "pcfdemo/redaction.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace pcfdemo {
namespace {

constexpr std::string_view kSecretWords[] = {"pass",       "secret", "token",  "key",
                                             "credential", "auth",   "private"};

char Lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool IsSchemeChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

// Characters that end a URL or an assigned value inside free text.
bool EndsToken(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '<' ||
         c == '>' || c == '`';
}

bool EndsAssignedValue(char c) {
  return EndsToken(c) || c == '&' || c == ';' || c == ',';
}

// Where the URL starting at `scheme_start` (with "://" at `separator`) ends: at a character
// that ends a token, or where the next URL's scheme begins.
size_t UrlEnd(std::string_view text, size_t separator) {
  size_t end = separator + 3;
  while (end < text.size() && !EndsToken(text[end])) ++end;
  size_t next = text.find("://", separator + 3);
  if (next != std::string_view::npos && next < end) {
    size_t scheme = next;
    while (scheme > separator + 3 && IsSchemeChar(text[scheme - 1])) --scheme;
    // A comma or semicolon between two URLs belongs to neither.
    while (scheme > separator + 3 && (text[scheme - 1] == ',' || text[scheme - 1] == ';')) {
      --scheme;
    }
    end = std::min(end, scheme);
  }
  return end;
}

// Hides the password of every URL: from the ':' after the user name to the last '@'.
std::string RedactUrlPasswords(std::string_view text) {
  std::string out;
  size_t copied = 0;
  size_t separator = text.find("://");
  while (separator != std::string_view::npos) {
    size_t start = separator + 3;
    size_t end = UrlEnd(text, separator);
    std::string_view span = text.substr(start, end - start);
    size_t at = span.rfind('@');
    if (at != std::string_view::npos) {
      size_t colon = span.substr(0, at).find(':');
      if (colon != std::string_view::npos) {
        out.append(text.substr(copied, start + colon + 1 - copied));
        out += kRedacted;
        copied = start + at;
      }
    }
    separator = text.find("://", std::max(end, start));
  }
  out.append(text.substr(copied));
  return out;
}

// Hides the value of every NAME=VALUE whose NAME is a secret name.
std::string RedactAssignments(std::string_view text) {
  std::string out;
  size_t copied = 0;
  size_t equals = text.find('=');
  while (equals != std::string_view::npos) {
    size_t name_start = equals;
    while (name_start > 0 && IsNameChar(text[name_start - 1])) --name_start;
    size_t value_end = equals + 1;
    while (value_end < text.size() && !EndsAssignedValue(text[value_end])) ++value_end;
    if (name_start < equals && IsSecretName(text.substr(name_start, equals - name_start)) &&
        value_end > equals + 1 && equals + 1 >= copied) {
      out.append(text.substr(copied, equals + 1 - copied));
      out += kRedacted;
      copied = value_end;
    }
    equals = text.find('=', equals + 1);
  }
  out.append(text.substr(copied));
  return out;
}

// Replaces every leaf under `value` with kRedacted, keeping the keys of objects.
void HideLeaves(nlohmann::json& value) {
  if (value.is_object() || value.is_array()) {
    for (auto& child : value) HideLeaves(child);
  } else if (!value.is_null()) {
    value = kRedacted;
  }
}

void RedactJsonValue(nlohmann::json& value) {
  if (value.is_object()) {
    for (auto item = value.begin(); item != value.end(); ++item) {
      if (IsSecretName(item.key())) {
        HideLeaves(item.value());
      } else {
        RedactJsonValue(item.value());
      }
    }
  } else if (value.is_array()) {
    for (auto& child : value) RedactJsonValue(child);
  } else if (value.is_string()) {
    value = RedactText(value.get<std::string>());
  }
}

bool IsAlphanumeric(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

bool LooksLikeJson(std::string_view value) {
  size_t first = value.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && (value[first] == '{' || value[first] == '[');
}

}  // namespace

bool IsSecretName(std::string_view name) {
  std::string lower(name.size(), ' ');
  std::transform(name.begin(), name.end(), lower.begin(), Lower);
  for (std::string_view word : kSecretWords) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string RedactText(std::string_view text) {
  return RedactAssignments(RedactUrlPasswords(text));
}

std::string ReplaceSecretTokens(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  size_t at = text.find(secret);
  while (at != std::string::npos) {
    size_t end = at + secret.size();
    bool whole = (at == 0 || !IsAlphanumeric(text[at - 1])) &&
                 (end == text.size() || !IsAlphanumeric(text[end]));
    if (whole) {
      text.replace(at, secret.size(), kRedacted);
      at = text.find(secret, at + sizeof(kRedacted) - 1);
    } else {
      at = text.find(secret, at + 1);
    }
  }
  return text;
}

std::optional<std::string> RedactJson(std::string_view json) {
  nlohmann::json document = nlohmann::json::parse(json.begin(), json.end(), nullptr,
                                                  /*allow_exceptions=*/false);
  if (document.is_discarded()) return std::nullopt;
  RedactJsonValue(document);
  return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string RedactEnvironmentValue(std::string_view name, std::string_view value,
                                   const std::vector<std::string>& known_secrets) {
  if (IsSecretName(name)) return kRedacted;

  std::string shown;
  if (LooksLikeJson(value)) {
    // Text that looks like JSON but is not cannot be searched reliably: hide it whole.
    shown = RedactJson(value).value_or(kRedacted);
  } else {
    shown = RedactText(value);
  }
  for (const std::string& secret : known_secrets)
    shown = ReplaceSecretTokens(std::move(shown), secret);
  return shown;
}

std::vector<std::pair<std::string, std::string>> RedactEnvironment(
    const std::map<std::string, std::string>& environment,
    const std::vector<std::string>& known_secrets) {
  std::vector<std::pair<std::string, std::string>> shown;
  shown.reserve(environment.size());
  for (const auto& [name, value] : environment) {
    shown.emplace_back(name, RedactEnvironmentValue(name, value, known_secrets));
  }
  return shown;
}

}  // namespace pcfdemo
