#include "page_layout.h"

#include <exception>

#include "answer_writer.h"
#include "page_forms.h"
#include "pcfdemo/backend_error.h"
#include "pcfdemo/html.h"
#include "routing.h"

namespace pcfdemo::web {
namespace {

using Pistache::Http::Code;

// Pistache 0.0.5 writes only typed headers into a response (raw ones are dropped), so each
// header a page sends has a small class of its own.
#define PCFDEMO_TEXT_HEADER(Class, header_name)                           \
  class Class : public Pistache::Http::Header::Header {                   \
   public:                                                                \
    NAME(header_name)                                                     \
    Class() = default;                                                    \
    explicit Class(std::string value) : value_(std::move(value)) {}       \
    void parse(const std::string& data) override { value_ = data; }       \
    void write(std::ostream& stream) const override { stream << value_; } \
                                                                          \
   private:                                                               \
    std::string value_;                                                   \
  }

PCFDEMO_TEXT_HEADER(ContentSecurityPolicyHeader, "Content-Security-Policy");
PCFDEMO_TEXT_HEADER(ContentTypeOptionsHeader, "X-Content-Type-Options");
PCFDEMO_TEXT_HEADER(FrameOptionsHeader, "X-Frame-Options");
PCFDEMO_TEXT_HEADER(ReferrerPolicyHeader, "Referrer-Policy");
PCFDEMO_TEXT_HEADER(CachingHeader, "Cache-Control");
#undef PCFDEMO_TEXT_HEADER

// Scripts and styles come only from /assets; nothing inline, nothing from elsewhere, and
// no other site may frame a page (clickjacking a form) or receive a form's post.
constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

struct NavEntry {
  const char* path;
  const char* label;
};

constexpr NavEntry kNavigation[] = {{"/", "Overview"},
                                    {"/sender", "Sender"},
                                    {"/receiver-stats", "Receiver Overview"},
                                    {"/autoscaler", "Autoscaler"},
                                    {"/flush", "Flush"}};

std::string NoticeHtml(const Notice& notice) {
  const char* css = nullptr;
  const char* role = "status";
  switch (notice.kind) {
    case Notice::Kind::kNone:
      return "";
    case Notice::Kind::kInfo:
      css = "notice info";
      break;
    case Notice::Kind::kSuccess:
      css = "notice success";
      break;
    case Notice::Kind::kError:
      css = "notice error";
      role = "alert";
      break;
  }
  return std::string("<p class=\"") + css + "\" role=\"" + role + "\" id=\"notice\">" +
         EscapeHtml(notice.text) + "</p>\n";
}

std::string CookieToken(const Pistache::Rest::Request& request) {
  const Pistache::Http::CookieJar& cookies = request.cookies();
  if (!cookies.has(kFormTokenCookie)) return "";
  std::string token = cookies.get(kFormTokenCookie).value;
  return IsWellFormedFormToken(token) ? token : "";
}

PageAnswer Answer(App& app, const PageHandler& handler, PageContext& context) {
  try {
    return handler(context);
  } catch (const BackendError& e) {
    return NoticePage(
        app, Code::Service_Unavailable, "", "Backend unreachable",
        {Notice::Kind::kError, "A backend does not answer (" + app.log->Scrub(e.what()) +
                                   "), so this page could not be completed; try again in a moment. "
                                   "The Overview shows which backends answer."});
  } catch (const std::exception& e) {
    app.log->Error("page " + context.request.resource() + " failed: " + e.what());
    return NoticePage(app, Code::Internal_Server_Error, "", "Server error",
                      {Notice::Kind::kError, "The server failed to show this page."});
  }
}

}  // namespace

void AddAssetHeaders(Pistache::Http::ResponseWriter& response) {
  response.headers().add<ContentTypeOptionsHeader>("nosniff");
  response.headers().add<CachingHeader>("public, max-age=300");
}

void AddPageRoute(Pistache::Rest::Router& router, App& app, Pistache::Http::Method method,
                  const std::string& path, PageHandler handler) {
  RouteCounters* counters = CountersForRoute(app, method, path);
  MountRoute(router, app, method, path,
             [&app, counters, handler = std::move(handler)](
                 const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter response) {
               std::string cookie_token = CookieToken(request);
               PageContext context{request, cookie_token.empty() ? NewFormToken() : cookie_token,
                                   cookie_token};
               PageAnswer answer = Answer(app, handler, context);

               auto& headers = response.headers();
               headers.add<ContentSecurityPolicyHeader>(kContentSecurityPolicy);
               headers.add<ContentTypeOptionsHeader>("nosniff");
               headers.add<FrameOptionsHeader>("DENY");
               headers.add<ReferrerPolicyHeader>("same-origin");
               headers.add<CachingHeader>("no-store");
               if (context.form_token != cookie_token) {
                 response.cookies().add(FormTokenCookie(context.form_token));
               }
               std::string_view content_type = "text/html; charset=utf-8";
               if (!answer.redirect_to.empty()) {
                 headers.add<Pistache::Http::Header::Location>(answer.redirect_to);
                 answer.code = Code::See_Other;
                 answer.html.clear();
                 content_type = "";
               }
               counters->Count(static_cast<int>(answer.code));
               WriteAnswer(request, response, answer.code, app.instance, content_type, answer.html);
               return Pistache::Rest::Route::Result::Ok;
             });
}

std::string RenderPage(const App& app, std::string_view nav_path, std::string_view title,
                       const std::string& body_html, const Notice& notice) {
  std::string nav;
  for (const NavEntry& entry : kNavigation) {
    bool current = nav_path == entry.path;
    nav += std::string("<a href=\"") + entry.path + "\"" +
           (current ? " aria-current=\"page\"" : "") + ">" + entry.label + "</a>";
  }
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<title>" +
         EscapeHtml(title) +
         " · pcfdemo</title>\n"
         "<link rel=\"icon\" href=\"/assets/favicon.svg\" type=\"image/svg+xml\">\n"
         "<link rel=\"stylesheet\" href=\"/assets/app.css\">\n"
         "<script src=\"/assets/app.js\" defer></script>\n"
         "</head>\n<body>\n<header><span class=\"brand\">pcfdemo</span><nav>" +
         nav + "</nav><span class=\"instance\">instance " + EscapeHtml(app.instance) +
         "</span></header>\n<main>\n<h1>" + EscapeHtml(title) + "</h1>\n" + NoticeHtml(notice) +
         body_html + "</main>\n<footer>pcfdemo " + EscapeHtml(app.version) + " · " +
         EscapeHtml(app.host_name) + " · " + app.mode() + " mode</footer>\n</body>\n</html>\n";
}

PageAnswer NoticePage(const App& app, Pistache::Http::Code code, std::string_view nav_path,
                      std::string_view title, const Notice& notice) {
  PageAnswer answer;
  answer.code = code;
  answer.html = RenderPage(app, nav_path, title, "", notice);
  return answer;
}

std::string Escaped(std::string_view text) {
  return EscapeHtml(text);
}

std::string TableRow(std::string_view header, std::string_view value) {
  return "<tr><th scope=\"row\">" + EscapeHtml(header) + "</th><td>" + EscapeHtml(value) +
         "</td></tr>\n";
}

std::string FormatDuration(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  int64_t hours = seconds / 3600;
  int64_t minutes = seconds % 3600 / 60;
  int64_t rest = seconds % 60;
  if (hours > 0) return std::to_string(hours) + " h " + std::to_string(minutes) + " min";
  if (minutes > 0) return std::to_string(minutes) + " min " + std::to_string(rest) + " s";
  return std::to_string(rest) + " s";
}

}  // namespace pcfdemo::web
