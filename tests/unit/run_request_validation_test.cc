#include "pcfdemo/run_request_validation.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace pcfdemo {
namespace {

RunRequestPolicy Policy() {
  Config config;
  config.port = 8080;
  config.max_calls = 500;
  config.default_concurrency = 8;
  config.max_concurrency = 64;
  config.allowed_destinations = {"peer.example:9000", "any-port.example"};
  return RunRequestPolicyForConfig(config);
}

// Every body here must be refused with a sentence, and nothing accepted.
struct BadBody {
  std::string name;
  std::string body;
  std::string error_mentions;
};

void PrintTo(const BadBody& bad, std::ostream* out) {
  *out << bad.body;
}

class RunRequestRefusal : public ::testing::TestWithParam<BadBody> {};

TEST_P(RunRequestRefusal, IsRefusedWithAReason) {
  RunRequestCheck check = CheckRunRequest(GetParam().body, Policy());
  EXPECT_FALSE(check.ok());
  EXPECT_NE(check.error.find(GetParam().error_mentions), std::string::npos)
      << "error was: " << check.error;
}

INSTANTIATE_TEST_SUITE_P(
    BadInputs, RunRequestRefusal,
    ::testing::Values(
        BadBody{"ZeroCalls", R"({"calls":0})", "from 1 to 500"},
        BadBody{"NegativeCalls", R"({"calls":-1})", "from 1 to 500"},
        BadBody{"CallsAboveMaximum", R"({"calls":501})", "from 1 to 500"},
        BadBody{"CallsAsText", R"({"calls":"abc"})", "whole number"},
        BadBody{"CallsAsNumericText", R"({"calls":"5"})", "whole number"},
        BadBody{"CallsOverflowingSixtyFourBits", R"({"calls":99999999999999999999})",
                "from 1 to 500"},
        BadBody{"CallsLargestUnsigned", R"({"calls":18446744073709551615})", "from 1 to 500"},
        BadBody{"CallsFraction", R"({"calls":1.5})", "whole number"},
        BadBody{"CallsExponent", R"({"calls":1e2})", "whole number"},
        BadBody{"CallsBoolean", R"({"calls":true})", "whole number"},
        BadBody{"CallsMissing", R"({"strategy":"atomic"})", "\"calls\" is required"},
        BadBody{"CallsNull", R"({"calls":null})", "\"calls\" is required"},
        BadBody{"EmptyBody", "", "empty"}, BadBody{"BlankBody", "  \n", "empty"},
        BadBody{"TruncatedJson", R"({"calls":)", "not valid JSON"},
        BadBody{"MalformedJson", R"({calls: 5})", "not valid JSON"},
        BadBody{"TrailingGarbage", R"({"calls":5} x)", "not valid JSON"},
        BadBody{"ArrayBody", R"([{"calls":5}])", "JSON object"},
        BadBody{"NumberBody", "5", "JSON object"},
        BadBody{"StringBody", R"("calls")", "JSON object"},
        BadBody{"UnknownField", R"({"calls":5,"cals":5})", "unknown field \"cals\""},
        BadBody{"UnknownStrategy", R"({"calls":5,"strategy":"fast"})",
                "read-modify-write, atomic, row-lock, optimistic"},
        BadBody{"StrategyNotText", R"({"calls":5,"strategy":1})", "unknown strategy"},
        BadBody{"ZeroConcurrency", R"({"calls":5,"concurrency":0})", "from 1 to 64"},
        BadBody{"ConcurrencyAboveMaximum", R"({"calls":5,"concurrency":65})", "from 1 to 64"},
        BadBody{"ConcurrencyFraction", R"({"calls":5,"concurrency":2.5})", "whole number"},
        BadBody{"DestinationNotText", R"({"calls":5,"destination":5})", "URL in a string"},
        BadBody{"FileDestination", R"({"calls":5,"destination":"file:///etc/passwd"})",
                "only http and https"},
        BadBody{"GopherDestination", R"({"calls":5,"destination":"gopher://127.0.0.1:8080/"})",
                "only http and https"},
        BadBody{"FtpDestination", R"({"calls":5,"destination":"ftp://127.0.0.1:8080/"})",
                "only http and https"},
        BadBody{"JavascriptDestination", R"j({"calls":5,"destination":"javascript:alert(1)"})j",
                "only http and https"},
        BadBody{"RelativeDestination", R"({"calls":5,"destination":"/receiver"})",
                "not an absolute URL"},
        BadBody{"NoHost", R"({"calls":5,"destination":"http:///receiver"})", "no host"},
        BadBody{"UserInfo", R"({"calls":5,"destination":"http://user:pw@127.0.0.1:8080/receiver"})",
                "user name or password"},
        BadBody{"UserInfoHidingAnotherHost",
                R"({"calls":5,"destination":"http://127.0.0.1:8080@evil.example/receiver"})",
                "user name or password"},
        BadBody{"BadPort", R"({"calls":5,"destination":"http://127.0.0.1:99999/receiver"})",
                "port"},
        BadBody{"SpaceInUrl", R"({"calls":5,"destination":"http://127.0.0.1:8080/a b"})", "spaces"},
        BadBody{"CallsOutOfDoubleRange", R"({"calls":1e400})", "out of range"},
        BadBody{"Query",
                R"({"calls":5,"destination":"http://127.0.0.1:8080/receiver?timestamp=123"})",
                "must not carry a query"},
        BadBody{"EmptyQuery", R"({"calls":5,"destination":"http://127.0.0.1:8080/receiver?"})",
                "must not carry a query"},
        BadBody{"Fragment", R"({"calls":5,"destination":"http://127.0.0.1:8080/r#x"})", "fragment"},
        BadBody{"HostNotAllowed", R"({"calls":5,"destination":"http://example.com/receiver"})",
                "not an allowed destination"},
        BadBody{"OwnHostOtherPort", R"({"calls":5,"destination":"http://127.0.0.1:8081/receiver"})",
                "not an allowed destination"},
        BadBody{"AllowedHostOtherPort",
                R"({"calls":5,"destination":"http://peer.example:9001/receiver"})",
                "not an allowed destination"},
        BadBody{"MetadataAddress",
                R"({"calls":5,"destination":"http://169.254.169.254/latest/meta-data"})",
                "not an allowed destination"}),
    [](const ::testing::TestParamInfo<BadBody>& param_info) { return param_info.param.name; });

TEST(RunRequestValidation, CallsAloneTakesEveryDefault) {
  RunRequestCheck check = CheckRunRequest(R"({"calls":200})", Policy());
  ASSERT_TRUE(check.ok()) << check.error;
  EXPECT_EQ(check.request->calls, 200);
  EXPECT_EQ(check.request->strategy, Strategy::kAtomic);
  EXPECT_EQ(check.request->concurrency, 8);
  EXPECT_EQ(check.request->destination, "http://127.0.0.1:8080/receiver");
}

TEST(RunRequestValidation, EveryFieldIsTakenAsGiven) {
  RunRequestCheck check = CheckRunRequest(
      R"({"calls":500,"strategy":"read-modify-write","concurrency":64,
          "destination":"http://LOCALHOST:8080/receiver"})",
      Policy());
  ASSERT_TRUE(check.ok()) << check.error;
  EXPECT_EQ(check.request->calls, 500);
  EXPECT_EQ(check.request->strategy, Strategy::kReadModifyWrite);
  EXPECT_EQ(check.request->concurrency, 64);
  EXPECT_EQ(check.request->destination, "http://LOCALHOST:8080/receiver");
}

TEST(RunRequestValidation, NullOptionalFieldsCountAsAbsent) {
  RunRequestCheck check = CheckRunRequest(
      R"({"calls":1,"strategy":null,"concurrency":null,"destination":null})", Policy());
  ASSERT_TRUE(check.ok()) << check.error;
  EXPECT_EQ(check.request->concurrency, 8);
}

TEST(RunRequestValidation, AllowListEntriesWithAndWithoutPort) {
  EXPECT_TRUE(
      CheckRunRequest(R"({"calls":1,"destination":"http://peer.example:9000/r"})", Policy()).ok());
  EXPECT_TRUE(
      CheckRunRequest(R"({"calls":1,"destination":"https://any-port.example/r"})", Policy()).ok());
  EXPECT_TRUE(
      CheckRunRequest(R"({"calls":1,"destination":"http://[::1]:8080/receiver"})", Policy()).ok());
}

TEST(RunRequestValidation, StarAllowsAnyHost) {
  RunRequestPolicy policy = Policy();
  policy.allowed = DestinationAllowList({"*"});
  EXPECT_TRUE(
      CheckRunRequest(R"({"calls":1,"destination":"http://example.com/receiver"})", policy).ok());
  // Still only http(s) without credentials.
  EXPECT_FALSE(CheckRunRequest(R"({"calls":1,"destination":"file:///etc/passwd"})", policy).ok());
  EXPECT_FALSE(
      CheckRunRequest(R"({"calls":1,"destination":"http://u:p@example.com/"})", policy).ok());
}

TEST(RunRequestValidation, ConfiguredDefaultDestinationIsUsedAndAllowed) {
  Config config;
  config.port = 8080;
  config.default_destination = "https://app.example.org/receiver";
  RunRequestPolicy policy = RunRequestPolicyForConfig(config);
  RunRequestCheck check = CheckRunRequest(R"({"calls":3})", policy);
  ASSERT_TRUE(check.ok()) << check.error;
  EXPECT_EQ(check.request->destination, "https://app.example.org/receiver");
  EXPECT_FALSE(
      CheckRunRequest(R"({"calls":3,"destination":"http://app.example.org:81/"})", policy).ok());
}

TEST(RunRequestValidation, ApplicationUrisAreAllowedOnAnyPort) {
  Config config;
  config.application_uris = {"demo.apps.example"};
  RunRequestPolicy policy = RunRequestPolicyForConfig(config);
  EXPECT_TRUE(
      CheckRunRequest(R"({"calls":3,"destination":"https://demo.apps.example/receiver"})", policy)
          .ok());
}

TEST(RunRequestValidation, ErrorsQuoteOnlyAShortExcerptOfTheInput) {
  std::string strategy(5000, 'x');
  RunRequestCheck check =
      CheckRunRequest(R"({"calls":1,"strategy":")" + strategy + R"("})", Policy());
  ASSERT_FALSE(check.ok());
  EXPECT_LT(check.error.size(), 300u);
}

TEST(ParseHttpUrl, SplitsSchemeHostPortAndTarget) {
  std::optional<HttpUrl> url = ParseHttpUrl("HTTP://Example.COM:8080/receiver?a=1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "http");
  EXPECT_EQ(url->host, "example.com");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->target, "/receiver?a=1");

  url = ParseHttpUrl("https://[::1]");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->target, "/");
}

TEST(ParseHttpUrl, RefusesWithAReason) {
  std::string reason;
  EXPECT_FALSE(ParseHttpUrl("http://exa mple.com/", &reason));
  EXPECT_FALSE(reason.empty());
  for (const char* bad : {"", "http:", "http://", "http://:80/", "http://host:/", "http://host:0/",
                          "http://[::1/", "http://ho%73t/", "http://a:b:c/", "http:\\\\host/"}) {
    reason.clear();
    EXPECT_FALSE(ParseHttpUrl(bad, &reason)) << bad;
    EXPECT_FALSE(reason.empty()) << bad;
  }
}

TEST(IsJsonContentType, AcceptsJsonWithParametersInAnyCase) {
  EXPECT_TRUE(IsJsonContentType("application/json"));
  EXPECT_TRUE(IsJsonContentType("Application/JSON; charset=utf-8"));
  EXPECT_FALSE(IsJsonContentType(""));
  EXPECT_FALSE(IsJsonContentType("text/plain"));
  EXPECT_FALSE(IsJsonContentType("application/x-www-form-urlencoded"));
  EXPECT_FALSE(IsJsonContentType("application/jsonp"));
}

}  // namespace
}  // namespace pcfdemo
