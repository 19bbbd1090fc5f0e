// What the overview page may show of the environment: secrets hidden by name, inside URLs,
// inside JSON (VCAP_SERVICES) and by value.
#include "pcfdemo/redaction.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace pcfdemo {
namespace {

TEST(RedactionTest, SecretNamesAreRecognisedInAnyLetterCase) {
  for (const char* name : {"PASSWORD", "db_password", "MYSQL_PASSWD", "ClientSecret", "API_TOKEN",
                           "AWS_SECRET_ACCESS_KEY", "SSH_KEY", "GOOGLE_CREDENTIALS", "credential",
                           "AUTH_HEADER", "PRIVATE_PEM"}) {
    EXPECT_TRUE(IsSecretName(name)) << name;
  }
  for (const char* name : {"PATH", "HOME", "PORT", "CF_INSTANCE_INDEX", "LANG", "VCAP_SERVICES"}) {
    EXPECT_FALSE(IsSecretName(name)) << name;
  }
}

TEST(RedactionTest, SecretNamedVariableIsHiddenWhole) {
  EXPECT_EQ(RedactEnvironmentValue("PCFDEMO_TEST_SECRET_PASSWORD", "s3cr3t-value"), kRedacted);
  EXPECT_EQ(RedactEnvironmentValue("GITHUB_TOKEN", ""), kRedacted);
}

TEST(RedactionTest, PasswordInsideUrlIsHiddenAndTheRestKept) {
  EXPECT_EQ(RedactEnvironmentValue("MYSQL_URL", "mysql://user:hunter2@db:3306/x"),
            "mysql://user:***@db:3306/x");
  EXPECT_EQ(RedactText("redis://:onlypass@cache:6379"), "redis://:***@cache:6379");
}

TEST(RedactionTest, UrlWithoutPasswordIsUnchanged) {
  EXPECT_EQ(RedactText("http://example.com:8080/receiver?timestamp=5"),
            "http://example.com:8080/receiver?timestamp=5");
  EXPECT_EQ(RedactText("ssh://git@example.com/repo"), "ssh://git@example.com/repo");
  EXPECT_EQ(RedactText("plain words, no url"), "plain words, no url");
}

TEST(RedactionTest, PasswordWithUnencodedAtAndSlashIsHiddenWhole) {
  std::string shown = RedactText("mysql://user:p@ss/w@rd@db.example.com/app");
  EXPECT_EQ(shown, "mysql://user:***@db.example.com/app");
  EXPECT_EQ(shown.find("ss/w"), std::string::npos);
}

TEST(RedactionTest, EveryUrlInAListIsRedacted) {
  EXPECT_EQ(RedactText("mysql://a:one@h1/db,mysql://b:two@h2/db mysql://c:three@h3/db"),
            "mysql://a:***@h1/db,mysql://b:***@h2/db mysql://c:***@h3/db");
}

TEST(RedactionTest, SecretAssignmentsInQueriesAndConnectionStringsAreHidden) {
  EXPECT_EQ(RedactText("https://api.example.com/v1?user=joe&access_token=abc123&page=2"),
            "https://api.example.com/v1?user=joe&access_token=***&page=2");
  EXPECT_EQ(RedactText("Server=db;User Id=sa;Password=Pa55;Database=x"),
            "Server=db;User Id=sa;Password=***;Database=x");
  EXPECT_EQ(RedactText("--api-key=zzz --verbose"), "--api-key=*** --verbose");
}

TEST(RedactionTest, VcapServicesCredentialsAreHiddenLeafByLeafKeepingTheirKeys) {
  const char* vcap = R"({"cleardb":[{"name":"db","label":"cleardb","credentials":{
      "uri":"mysql://b1:p2@us-cdbr.example.net/ad_42?reconnect=true","username":"b1",
      "password":"p2","port":3306,"nested":{"token":"t"}}}],
    "memcachedcloud":[{"name":"cache","credentials":{"servers":"cache:11211",
      "username":"mc","password":"mcpass"}}]})";
  std::string shown = RedactEnvironmentValue("VCAP_SERVICES", vcap);

  for (const char* secret : {"p2", "b1", "mcpass", "us-cdbr", "cache:11211", "3306"}) {
    EXPECT_EQ(shown.find(secret), std::string::npos) << secret << " in " << shown;
  }
  nlohmann::json parsed = nlohmann::json::parse(shown);
  EXPECT_EQ(parsed["cleardb"][0]["name"], "db");
  EXPECT_EQ(parsed["cleardb"][0]["label"], "cleardb");
  EXPECT_EQ(parsed["cleardb"][0]["credentials"]["uri"], kRedacted);
  EXPECT_EQ(parsed["cleardb"][0]["credentials"]["port"], kRedacted);
  EXPECT_EQ(parsed["cleardb"][0]["credentials"]["nested"]["token"], kRedacted);
  EXPECT_EQ(parsed["memcachedcloud"][0]["credentials"]["password"], kRedacted);
}

TEST(RedactionTest, JsonOutsideCredentialsHasSecretKeysAndUrlPasswordsHidden) {
  std::optional<std::string> shown =
      RedactJson(R"({"db":{"url":"postgres://u:pw@h/d","apiKey":"k1"},"list":["x"]})");
  ASSERT_TRUE(shown.has_value());
  nlohmann::json parsed = nlohmann::json::parse(*shown);
  EXPECT_EQ(parsed["db"]["url"], "postgres://u:***@h/d");
  EXPECT_EQ(parsed["db"]["apiKey"], kRedacted);
  EXPECT_EQ(parsed["list"][0], "x");
}

TEST(RedactionTest, MalformedJsonIsHiddenWhole) {
  EXPECT_FALSE(RedactJson("{\"password\": \"x\"").has_value());
  EXPECT_EQ(RedactEnvironmentValue("VCAP_SERVICES", "{\"credentials\": {\"password\": \"x\""),
            kRedacted);
}

TEST(RedactionTest, KnownSecretsAreHiddenWhereverTheyAppear) {
  EXPECT_EQ(
      RedactEnvironmentValue("NOTES", "the db answers to opensesame today", {"", "opensesame"}),
      "the db answers to *** today");
}

// Hiding "demo" inside "pcfdemo-web" would show "pcf***-web", and so the password itself.
TEST(RedactionTest, ShortSecretIsHiddenOnlyAsAWholeToken) {
  EXPECT_EQ(ReplaceSecretTokens("pcfdemo-web talks to demo; demo-x, (demo), demos, demo", "demo"),
            "pcfdemo-web talks to ***; ***-x, (***), demos, ***");
  EXPECT_EQ(ReplaceSecretTokens("demo", "demo"), "***");
  EXPECT_EQ(ReplaceSecretTokens("pcfdemo", "demo"), "pcfdemo");
  EXPECT_EQ(ReplaceSecretTokens("anything", ""), "anything");
  EXPECT_EQ(RedactEnvironmentValue("APP", "pcfdemo-web --password demo", {"demo"}),
            "pcfdemo-web --password ***");
  EXPECT_EQ(RedactEnvironmentValue("DB", "mysql://pcfdemo:demo@db/pcfdemo", {"demo"}),
            "mysql://pcfdemo:***@db/pcfdemo");
}

TEST(RedactionTest, MarkupIsLeftForTheHtmlEscaperAndNotAltered) {
  // Redaction does not escape: the page escapes every value it writes.
  EXPECT_EQ(RedactEnvironmentValue("GREETING", "<script>alert(1)</script>"),
            "<script>alert(1)</script>");
}

TEST(RedactionTest, EnvironmentIsSortedByNameWithEveryValueRedacted) {
  auto shown = RedactEnvironment(
      {{"PATH", "/usr/bin"}, {"DB_PASSWORD", "x"}, {"DATABASE_URL", "mysql://u:y@h/d"}}, {});
  ASSERT_EQ(shown.size(), 3u);
  EXPECT_EQ(shown[0],
            std::make_pair(std::string("DATABASE_URL"), std::string("mysql://u:***@h/d")));
  EXPECT_EQ(shown[1], std::make_pair(std::string("DB_PASSWORD"), std::string(kRedacted)));
  EXPECT_EQ(shown[2], std::make_pair(std::string("PATH"), std::string("/usr/bin")));
}

}  // namespace
}  // namespace pcfdemo
