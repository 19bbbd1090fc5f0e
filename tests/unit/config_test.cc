#include "pcfdemo/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace pcfdemo {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

using Env = std::map<std::string, std::string>;
using Args = std::vector<std::string>;

// The message of the ConfigError that LoadConfig throws, or "" if it throws none.
std::string ErrorOf(const Args& args, const Env& env) {
  try {
    LoadConfig(args, env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigTest, DefaultsWithoutFlagsOrEnvironmentAreStandalone) {
  Config config = LoadConfig({}, {});
  EXPECT_EQ(config.bind_address, "0.0.0.0");
  EXPECT_EQ(config.port, 8080);
  EXPECT_EQ(config.instance_index, 0);
  EXPECT_TRUE(config.standalone());
  EXPECT_EQ(config.database_url, "");
  EXPECT_EQ(config.max_calls, 500);
  EXPECT_EQ(config.default_concurrency, 8);
  EXPECT_EQ(config.max_concurrency, 64);
  EXPECT_EQ(config.poll_interval, std::chrono::milliseconds(1000));
  EXPECT_EQ(config.call_timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(config.log_level, "info");
  EXPECT_EQ(config.log_format, "text");
  EXPECT_TRUE(config.run_workers_in_process);
  EXPECT_TRUE(config.default_destination.empty());
}

TEST(ConfigTest, FlagsAcceptEqualsAndSeparateValueForms) {
  Config config = LoadConfig({"--port=9090",
                              "--bind",
                              "127.0.0.1",
                              "--max-calls",
                              "1000",
                              "--concurrency=4",
                              "--max-concurrency",
                              "16",
                              "--poll-interval-ms=250",
                              "--call-timeout-ms",
                              "1500",
                              "--log-level=DEBUG",
                              "--log-format",
                              "json",
                              "--no-workers",
                              "--memcached",
                              "cache:11211",
                              "--instance-index",
                              "3",
                              "--data-dir=/tmp/x"},
                             {});
  EXPECT_EQ(config.port, 9090);
  EXPECT_EQ(config.bind_address, "127.0.0.1");
  EXPECT_EQ(config.max_calls, 1000);
  EXPECT_EQ(config.default_concurrency, 4);
  EXPECT_EQ(config.max_concurrency, 16);
  EXPECT_EQ(config.poll_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(config.call_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(config.log_level, "debug");
  EXPECT_EQ(config.log_format, "json");
  EXPECT_FALSE(config.run_workers_in_process);
  EXPECT_EQ(config.instance_index, 3);
  EXPECT_EQ(config.data_dir, "/tmp/x");
}

TEST(ConfigTest, EnvironmentVariablesSetEverySetting) {
  Env env = {{"PCFDEMO_BIND", "127.0.0.2"},
             {"PORT", "7000"},
             {"PCFDEMO_DATA_DIR", "/var/lib/pcfdemo"},
             {"PCFDEMO_MEMCACHED", "10.0.0.1:11211, 10.0.0.2"},
             {"PCFDEMO_MEMCACHED_USERNAME", "user"},
             {"PCFDEMO_MEMCACHED_PASSWORD", "pw"},
             {"PCFDEMO_DATABASE_URL", "mysql://u:p@db:3306/runs"},
             {"PCFDEMO_ALLOWED_DESTINATIONS", "a.example.com,b.example.com:8443"},
             {"PCFDEMO_DESTINATION", "http://a.example.com/receiver"},
             {"PCFDEMO_MAX_CALLS", "42"},
             {"PCFDEMO_CONCURRENCY", "2"},
             {"PCFDEMO_POLL_INTERVAL_MS", "100"},
             {"PCFDEMO_LOG_LEVEL", "warn"},
             {"PCFDEMO_LOG_FORMAT", "json"},
             {"PCFDEMO_WORKERS", "off"}};
  Config config = LoadConfig({}, env);
  EXPECT_EQ(config.bind_address, "127.0.0.2");
  EXPECT_EQ(config.port, 7000);
  EXPECT_EQ(config.data_dir, "/var/lib/pcfdemo");
  EXPECT_THAT(config.memcached.servers, ElementsAre("10.0.0.1:11211", "10.0.0.2:11211"));
  EXPECT_EQ(config.memcached.username, "user");
  EXPECT_EQ(config.memcached.password, "pw");
  EXPECT_FALSE(config.standalone());
  EXPECT_EQ(config.database_url, "mysql://u:p@db:3306/runs");
  EXPECT_THAT(config.allowed_destinations, ElementsAre("a.example.com", "b.example.com:8443"));
  EXPECT_EQ(config.default_destination, "http://a.example.com/receiver");
  EXPECT_EQ(config.max_calls, 42);
  EXPECT_EQ(config.default_concurrency, 2);
  EXPECT_EQ(config.poll_interval, std::chrono::milliseconds(100));
  EXPECT_EQ(config.log_level, "warn");
  EXPECT_EQ(config.log_format, "json");
  EXPECT_FALSE(config.run_workers_in_process);
}

TEST(ConfigTest, FlagsWinOverEnvironment) {
  Env env = {{"PORT", "7000"}, {"PCFDEMO_MEMCACHED", "env-host:1"}, {"PCFDEMO_WORKERS", "on"}};
  Config config = LoadConfig({"--port", "7001", "--memcached=flag-host:2", "--no-workers"}, env);
  EXPECT_EQ(config.port, 7001);
  EXPECT_THAT(config.memcached.servers, ElementsAre("flag-host:2"));
  EXPECT_FALSE(config.run_workers_in_process);
}

TEST(ConfigTest, InstanceIndexPrefersCfInstanceIndexOverInstanceIndex) {
  EXPECT_EQ(LoadConfig({}, {{"CF_INSTANCE_INDEX", "2"}, {"INSTANCE_INDEX", "5"}}).instance_index,
            2);
  EXPECT_EQ(LoadConfig({}, {{"INSTANCE_INDEX", "5"}}).instance_index, 5);
  EXPECT_EQ(LoadConfig({"--instance-index=7"}, {{"CF_INSTANCE_INDEX", "2"}}).instance_index, 7);
}

TEST(ConfigTest, InstanceGuidComesFromCfOrIsGeneratedRandomHex) {
  EXPECT_EQ(LoadConfig({}, {{"CF_INSTANCE_GUID", "abc-123"}}).instance_guid, "abc-123");
  std::string a = LoadConfig({}, {}).instance_guid;
  std::string b = LoadConfig({}, {}).instance_guid;
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

TEST(ConfigTest, EmptyEnvironmentVariableCountsAsUnset) {
  Config config = LoadConfig({}, {{"PORT", ""}, {"PCFDEMO_MEMCACHED", ""}});
  EXPECT_EQ(config.port, 8080);
  EXPECT_TRUE(config.standalone());
}

TEST(ConfigTest, NumbersAreParsedStrictlyAndErrorsNameTheSetting) {
  EXPECT_EQ(ErrorOf({"--port", "abc"}, {}), "--port: expected a number from 1 to 65535, got 'abc'");
  EXPECT_EQ(ErrorOf({}, {{"PORT", "80x"}}), "PORT: expected a number from 1 to 65535, got '80x'");
  EXPECT_THAT(ErrorOf({"--port=65536"}, {}), HasSubstr("--port: expected a number"));
  EXPECT_THAT(ErrorOf({"--port=0"}, {}), HasSubstr("--port"));
  EXPECT_THAT(ErrorOf({"--port= 80"}, {}), HasSubstr("--port"));
  EXPECT_THAT(ErrorOf({"--port=+80"}, {}), HasSubstr("--port"));
  EXPECT_THAT(ErrorOf({"--max-calls=0"}, {}), HasSubstr("--max-calls"));
  EXPECT_THAT(ErrorOf({"--max-calls=99999999999999999999"}, {}), HasSubstr("--max-calls"));
  EXPECT_THAT(ErrorOf({"--concurrency=-1"}, {}), HasSubstr("--concurrency"));
  EXPECT_THAT(ErrorOf({"--poll-interval-ms=1.5"}, {}), HasSubstr("--poll-interval-ms"));
  EXPECT_THAT(ErrorOf({}, {{"CF_INSTANCE_INDEX", "x"}}), HasSubstr("CF_INSTANCE_INDEX"));
  EXPECT_THAT(ErrorOf({}, {{"PCFDEMO_MAX_CALLS", "5 "}}), HasSubstr("PCFDEMO_MAX_CALLS"));
}

TEST(ConfigTest, RejectsUnknownFlagsMissingValuesAndStrayArguments) {
  EXPECT_THAT(ErrorOf({"--prot=1"}, {}), HasSubstr("unknown flag --prot"));
  EXPECT_THAT(ErrorOf({"--port"}, {}), HasSubstr("--port: expected a value"));
  EXPECT_THAT(ErrorOf({"--no-workers=yes"}, {}), HasSubstr("--no-workers: takes no value"));
  EXPECT_THAT(ErrorOf({"stray"}, {}), HasSubstr("unexpected argument"));
  EXPECT_THAT(ErrorOf({"--log-level=loud"}, {}), HasSubstr("--log-level"));
  EXPECT_THAT(ErrorOf({"--log-format=xml"}, {}), HasSubstr("--log-format"));
  EXPECT_THAT(ErrorOf({}, {{"PCFDEMO_WORKERS", "maybe"}}), HasSubstr("PCFDEMO_WORKERS"));
  EXPECT_THAT(ErrorOf({"--destination=ftp://x/receiver"}, {}), HasSubstr("--destination"));
  EXPECT_THAT(ErrorOf({"--memcached=host:notaport"}, {}), HasSubstr("--memcached"));
  EXPECT_THAT(ErrorOf({"--concurrency=100", "--max-concurrency=10"}, {}),
              HasSubstr("--concurrency"));
}

TEST(ConfigTest, SecretsNeverAppearInErrors) {
  const std::string secret = "s3cr3t-Pa55";
  EXPECT_THAT(ErrorOf({"--database=postgres://u:" + secret + "@h/db"}, {}),
              AllOf(HasSubstr("--database"), Not(HasSubstr(secret))));
  EXPECT_THAT(ErrorOf({}, {{"PCFDEMO_DATABASE_URL", "mysql://u:" + secret + "@hostonly"}}),
              AllOf(HasSubstr("PCFDEMO_DATABASE_URL"), Not(HasSubstr(secret))));
  // A password left where a flag should be is not echoed either.
  EXPECT_THAT(ErrorOf({"--memcached-username", "u", secret}, {}), Not(HasSubstr(secret)));
  EXPECT_THAT(ErrorOf({"--memcached-password", secret}, {}),
              AllOf(HasSubstr("without --memcached"), Not(HasSubstr(secret))));
}

TEST(ConfigTest, MemcachedServerListAcceptsDefaultPortAndIpv6) {
  Config config = LoadConfig({"--memcached", "a,b:1234,[::1]:5000,[::1]"}, {});
  EXPECT_THAT(config.memcached.servers,
              ElementsAre("a:11211", "b:1234", "[::1]:5000", "[::1]:11211"));
  EXPECT_THAT(ErrorOf({"--memcached=::1"}, {}), HasSubstr("IPv6"));
  EXPECT_THAT(ErrorOf({"--memcached=,"}, {}), HasSubstr("--memcached"));
}

TEST(ConfigTest, DatabaseUrlFormsAreAccepted) {
  EXPECT_EQ(LoadConfig({"--database=memory:"}, {}).database_url, "memory:");
  EXPECT_EQ(LoadConfig({"--database=sqlite:///tmp/r.db"}, {}).database_url, "sqlite:///tmp/r.db");
  EXPECT_EQ(LoadConfig({"--database=mysql://root@127.0.0.1:3307/pcf"}, {}).database_url,
            "mysql://root@127.0.0.1:3307/pcf");
}

TEST(ConfigTest, EffectiveDatabaseUrlDefaultsToSqliteInAbsoluteDataDir) {
  Config config;
  config.data_dir = "/srv/pcfdemo/data";
  EXPECT_EQ(config.EffectiveDatabaseUrl(), "sqlite:///srv/pcfdemo/data/runs.db");

  config.data_dir = "relative-dir";
  std::string expected = "sqlite://" + (fs::current_path() / "relative-dir" / "runs.db").string();
  EXPECT_EQ(config.EffectiveDatabaseUrl(), expected);
  EXPECT_EQ(config.EffectiveDatabaseUrl().rfind("sqlite:///", 0), 0u);

  config.database_url = "memory:";
  EXPECT_EQ(config.EffectiveDatabaseUrl(), "memory:");
}

// Pistache's listener aborts on an address it cannot parse; LoadConfig refuses it first.
TEST(ConfigTest, BindTakesOnlyAddressesTheListenerCanUse) {
  for (const char* bad : {"999.1.1.1", "notahost", "::1", "10.0.0.256", "1.2.3", "[nope]"}) {
    EXPECT_THAT(ErrorOf({"--bind", bad}, {}), HasSubstr("--bind: ")) << bad;
    EXPECT_THAT(ErrorOf({}, {{"PCFDEMO_BIND", bad}}), HasSubstr("PCFDEMO_BIND: ")) << bad;
  }
  EXPECT_THAT(ErrorOf({"--bind", "::1"}, {}), HasSubstr("[::1]"));
  for (const char* good : {"0.0.0.0", "127.0.0.1", "localhost", "[::1]", "[::]"}) {
    EXPECT_EQ(ErrorOf({"--bind", good}, {}), "") << good;
    EXPECT_EQ(LoadConfig({"--bind", good}, {}).bind_address, good);
  }
}

// Without memcached the triggers stay in this process: turning its workers off would leave
// every run pending for ever.
TEST(ConfigTest, NoWorkersNeedsASharedStore) {
  for (const std::string& error : {ErrorOf({"--no-workers"}, {}), ErrorOf({"--workers=off"}, {}),
                                   ErrorOf({}, {{"PCFDEMO_WORKERS", "off"}})}) {
    EXPECT_THAT(error, HasSubstr("--no-workers"));
    EXPECT_THAT(error, HasSubstr("--memcached"));
  }
  EXPECT_EQ(ErrorOf({"--no-workers", "--memcached", "127.0.0.1:11211"}, {}), "");
  EXPECT_EQ(ErrorOf({"--no-workers"}, {{"PCFDEMO_MEMCACHED", "127.0.0.1:11211"}}), "");
  EXPECT_EQ(ErrorOf({}, {}), "");
}

TEST(ConfigTest, UsageListsEveryFlagWithItsVariable) {
  std::string usage = ConfigUsage();
  for (const char* text : {"--bind",
                           "PCFDEMO_BIND",
                           "--port",
                           "PORT",
                           "--instance-index",
                           "CF_INSTANCE_INDEX",
                           "INSTANCE_INDEX",
                           "--data-dir",
                           "PCFDEMO_DATA_DIR",
                           "--memcached ",
                           "PCFDEMO_MEMCACHED",
                           "--memcached-username",
                           "--memcached-password",
                           "PCFDEMO_MEMCACHED_PASSWORD",
                           "--database",
                           "PCFDEMO_DATABASE_URL",
                           "--allowed-destinations",
                           "--destination",
                           "--max-calls",
                           "--concurrency",
                           "--max-concurrency",
                           "--poll-interval-ms",
                           "--call-timeout-ms",
                           "--log-level",
                           "--log-format",
                           "--no-workers",
                           "PCFDEMO_WORKERS",
                           "VCAP_SERVICES",
                           "SERVICE_BINDING_ROOT"}) {
    EXPECT_THAT(usage, HasSubstr(text));
  }
}

TEST(ConfigTest, ProcessEnvironmentReflectsSetenv) {
  ASSERT_EQ(setenv("PCFDEMO_CONFIG_TEST_VAR", "a=b", 1), 0);
  Env env = ProcessEnvironment();
  unsetenv("PCFDEMO_CONFIG_TEST_VAR");
  ASSERT_EQ(env.count("PCFDEMO_CONFIG_TEST_VAR"), 1u);
  EXPECT_EQ(env["PCFDEMO_CONFIG_TEST_VAR"], "a=b");
}

// --- Cloud Foundry -----------------------------------------------------------------------

constexpr char kPassword[] = "Xq9-very-secret-password";

TEST(ConfigVcapTest, MemcachedCloudAndClearDbFromVcapServices) {
  std::string vcap = R"({
    "memcachedcloud": [{"name": "cache", "label": "memcachedcloud", "tags": [],
      "credentials": {"servers": "mc1.example.com:11211,mc2.example.com:11212",
                      "username": "mcuser", "password": ")" +
                     std::string(kPassword) + R"("}}],
    "cleardb": [{"name": "db", "label": "cleardb",
      "credentials": {"uri": "mysql://dbuser:dbpass@us-cdbr.example.net:3306/ad_db?reconnect=true",
                      "name": "ad_db"}}]
  })";
  Config config = LoadConfig({}, {{"VCAP_SERVICES", vcap}});
  EXPECT_THAT(config.memcached.servers,
              ElementsAre("mc1.example.com:11211", "mc2.example.com:11212"));
  EXPECT_EQ(config.memcached.username, "mcuser");
  EXPECT_EQ(config.memcached.password, kPassword);
  EXPECT_EQ(config.database_url,
            "mysql://dbuser:dbpass@us-cdbr.example.net:3306/ad_db?reconnect=true");
}

TEST(ConfigVcapTest, PMysqlFromSeparateFieldsWithNumericPortAndEncodedPassword) {
  std::string vcap = R"({"p.mysql": [{"name": "db", "credentials": {
      "hostname": "10.0.0.9", "port": 3307, "name": "service_instance_db",
      "username": "u1", "password": "p@ss:w/rd"}}]})";
  Config config = LoadConfig({}, {{"VCAP_SERVICES", vcap}});
  EXPECT_EQ(config.database_url, "mysql://u1:p%40ss%3Aw%2Frd@10.0.0.9:3307/service_instance_db");
}

TEST(ConfigVcapTest, PortAsStringIsAccepted) {
  std::string vcap = R"({"cleardb": [{"name": "db", "credentials": {
      "hostname": "h", "port": "3306", "name": "d", "username": "u", "password": "p"}}]})";
  EXPECT_EQ(LoadConfig({}, {{"VCAP_SERVICES", vcap}}).database_url, "mysql://u:p@h:3306/d");
}

TEST(ConfigVcapTest, UserProvidedServicesFoundByTag) {
  std::string vcap = R"({"user-provided": [
      {"name": "other", "tags": ["redis"], "credentials": {"uri": "redis://x"}},
      {"name": "my-cache", "tags": ["Memcached"], "credentials": {
        "host": "cache.internal", "port": "11222"}},
      {"name": "my-db", "tags": ["mysql"], "credentials": {
        "uri": "mysql://a:b@db.internal/runs"}}]})";
  Config config = LoadConfig({}, {{"VCAP_SERVICES", vcap}});
  EXPECT_THAT(config.memcached.servers, ElementsAre("cache.internal:11222"));
  EXPECT_TRUE(config.memcached.username.empty());
  EXPECT_EQ(config.database_url, "mysql://a:b@db.internal/runs");
}

TEST(ConfigVcapTest, EnvironmentAndFlagsWinOverVcapAndDropItsCredentials) {
  std::string vcap = R"({"memcachedcloud": [{"name": "cache", "credentials": {
      "servers": "mc.example.com:11211", "username": "mcuser", "password": "mcpass"}}],
      "cleardb": [{"name": "db", "credentials": {"uri": "mysql://u:p@h:3306/d"}}]})";
  Config config = LoadConfig({"--database=memory:"},
                             {{"VCAP_SERVICES", vcap}, {"PCFDEMO_MEMCACHED", "127.0.0.1:1"}});
  EXPECT_THAT(config.memcached.servers, ElementsAre("127.0.0.1:1"));
  EXPECT_TRUE(config.memcached.username.empty());
  EXPECT_TRUE(config.memcached.password.empty());
  EXPECT_EQ(config.database_url, "memory:");
}

TEST(ConfigVcapTest, MalformedVcapServicesNamesTheVariableWithoutPrintingIt) {
  std::string vcap = std::string(R"({"memcachedcloud": [{"credentials": {"password": ")") +
                     kPassword + R"(" oops}}]})";
  std::string error = ErrorOf({}, {{"VCAP_SERVICES", vcap}});
  EXPECT_THAT(error, HasSubstr("VCAP_SERVICES"));
  EXPECT_THAT(error, Not(HasSubstr(kPassword)));
  EXPECT_THAT(error, Not(HasSubstr("oops")));

  EXPECT_THAT(ErrorOf({}, {{"VCAP_SERVICES", "[]"}}), HasSubstr("VCAP_SERVICES"));
}

TEST(ConfigVcapTest, UnusableCredentialsNeverPrintThePassword) {
  std::vector<std::string> bad = {
      // No host at all.
      std::string(R"({"cleardb": [{"name": "db", "credentials": {"password": ")") + kPassword +
          R"("}}]})",
      // Bad port.
      std::string(R"({"p.mysql": [{"name": "db", "credentials": {"hostname": "h", "port": "x",
          "name": "d", "username": "u", "password": ")") +
          kPassword + R"("}}]})",
      // Unusable uri.
      std::string(R"({"cleardb": [{"name": "db", "credentials": {"uri": "mysql://u:)") + kPassword +
          R"(@hostonly"}}]})",
      // Memcached without servers.
      std::string(R"({"memcachedcloud": [{"name": "c", "credentials": {"password": ")") +
          kPassword + R"("}}]})",
      // Memcached with a broken server entry.
      std::string(R"({"memcachedcloud": [{"name": "c", "credentials": {"servers": "h:p",
          "password": ")") +
          kPassword + R"("}}]})",
  };
  for (const std::string& vcap : bad) {
    std::string error = ErrorOf({}, {{"VCAP_SERVICES", vcap}});
    EXPECT_THAT(error, HasSubstr("VCAP_SERVICES")) << vcap;
    EXPECT_THAT(error, Not(HasSubstr(kPassword)));
  }
}

TEST(ConfigVcapTest, VcapApplicationGivesUrisAndDefaultDestination) {
  std::string app = R"({"application_uris": ["pcfdemo.cfapps.io", "alt.example.com"],
      "instance_index": 4, "instance_id": "guid-from-vcap"})";
  Config config = LoadConfig({}, {{"VCAP_APPLICATION", app}});
  EXPECT_THAT(config.application_uris, ElementsAre("pcfdemo.cfapps.io", "alt.example.com"));
  EXPECT_EQ(config.default_destination, "https://pcfdemo.cfapps.io/receiver");
  EXPECT_EQ(config.instance_index, 4);
  EXPECT_EQ(config.instance_guid, "guid-from-vcap");

  Config overridden = LoadConfig(
      {"--destination=http://other/receiver"},
      {{"VCAP_APPLICATION", app}, {"CF_INSTANCE_INDEX", "1"}, {"CF_INSTANCE_GUID", "cf-guid"}});
  EXPECT_EQ(overridden.default_destination, "http://other/receiver");
  EXPECT_EQ(overridden.instance_index, 1);
  EXPECT_EQ(overridden.instance_guid, "cf-guid");

  EXPECT_THAT(ErrorOf({}, {{"VCAP_APPLICATION", "{nope"}}), HasSubstr("VCAP_APPLICATION"));
}

// --- Kubernetes service bindings ----------------------------------------------------------

class ServiceBindingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/pcfdemo-bindings-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
  }
  void TearDown() override {
    std::error_code error;
    fs::remove_all(root_, error);
  }

  void Write(const std::string& binding, const std::string& file, const std::string& text) {
    fs::create_directories(root_ / binding);
    std::ofstream(root_ / binding / file) << text;
  }

  fs::path root_;
};

TEST_F(ServiceBindingTest, MysqlAndMemcachedFromFiles) {
  Write("cache", "type", "memcached\n");
  Write("cache", "host", "memcached.default.svc");
  Write("cache", "port", "11211\n");
  Write("cache", "username", "mc");
  Write("cache", "password", kPassword);
  Write("db", "type", "mysql");
  Write("db", "host", "mysql.default.svc");
  Write("db", "port", "3306");
  Write("db", "database", "pcfdemo");
  Write("db", "username", "app");
  Write("db", "password", "pw");
  Config config = LoadConfig({}, {{"SERVICE_BINDING_ROOT", root_.string()}});
  EXPECT_THAT(config.memcached.servers, ElementsAre("memcached.default.svc:11211"));
  EXPECT_EQ(config.memcached.username, "mc");
  EXPECT_EQ(config.memcached.password, kPassword);
  EXPECT_EQ(config.database_url, "mysql://app:pw@mysql.default.svc:3306/pcfdemo");
}

TEST_F(ServiceBindingTest, UriAndServersFilesAndPrecedenceOverVcap) {
  Write("a-cache", "type", "memcached");
  Write("a-cache", "servers", "m1:1,m2:2");
  Write("b-db", "type", "mysql");
  Write("b-db", "uri", "mysql://x:y@dbhost:3306/d?tls=true");
  std::string vcap = R"({"cleardb": [{"name": "db", "credentials": {"uri": "mysql://u:p@h/d"}}]})";
  Config config =
      LoadConfig({}, {{"SERVICE_BINDING_ROOT", root_.string()}, {"VCAP_SERVICES", vcap}});
  EXPECT_THAT(config.memcached.servers, ElementsAre("m1:1", "m2:2"));
  EXPECT_EQ(config.database_url, "mysql://x:y@dbhost:3306/d?tls=true");

  Config flagged = LoadConfig({"--database=memory:"}, {{"SERVICE_BINDING_ROOT", root_.string()}});
  EXPECT_EQ(flagged.database_url, "memory:");
}

TEST_F(ServiceBindingTest, BrokenBindingNamesItWithoutThePassword) {
  Write("db", "type", "mysql");
  Write("db", "password", kPassword);
  std::string error = ErrorOf({}, {{"SERVICE_BINDING_ROOT", root_.string()}});
  EXPECT_THAT(error, HasSubstr("binding 'db'"));
  EXPECT_THAT(error, Not(HasSubstr(kPassword)));

  Write("db", "host", "h");
  Write("db", "database", "d");
  Write("db", "port", "99999");
  error = ErrorOf({}, {{"SERVICE_BINDING_ROOT", root_.string()}});
  EXPECT_THAT(error, HasSubstr("port"));
  EXPECT_THAT(error, Not(HasSubstr(kPassword)));

  EXPECT_THAT(ErrorOf({}, {{"SERVICE_BINDING_ROOT", (root_ / "missing").string()}}),
              HasSubstr("SERVICE_BINDING_ROOT"));
}

TEST_F(ServiceBindingTest, BindingsOfOtherTypesAreIgnored) {
  Write("redis", "type", "redis");
  Write("redis", "host", "r");
  Config config = LoadConfig({}, {{"SERVICE_BINDING_ROOT", root_.string()}});
  EXPECT_TRUE(config.standalone());
  EXPECT_TRUE(config.database_url.empty());
}

TEST(ConfigTest, ClaimLeaseComesFromFlagOrEnvironmentWithinBounds) {
  EXPECT_EQ(LoadConfig({}, {}).claim_lease, std::chrono::seconds(15));
  EXPECT_EQ(LoadConfig({"--lease-seconds=4"}, {}).claim_lease, std::chrono::seconds(4));
  EXPECT_EQ(LoadConfig({}, {{"PCFDEMO_LEASE_SECONDS", "60"}}).claim_lease,
            std::chrono::seconds(60));
  EXPECT_EQ(LoadConfig({"--lease-seconds", "5"}, {{"PCFDEMO_LEASE_SECONDS", "60"}}).claim_lease,
            std::chrono::seconds(5));
  // Below three seconds the renewal (every third of the lease) would be under memcached's
  // one-second resolution.
  EXPECT_THAT(ErrorOf({"--lease-seconds=2"}, {}), HasSubstr("--lease-seconds"));
  EXPECT_THAT(ErrorOf({}, {{"PCFDEMO_LEASE_SECONDS", "x"}}), HasSubstr("PCFDEMO_LEASE_SECONDS"));
  EXPECT_THAT(ConfigUsage(), HasSubstr("PCFDEMO_LEASE_SECONDS"));
}

}  // namespace
}  // namespace pcfdemo
