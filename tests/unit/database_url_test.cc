// Parsing and redaction of database URLs.
#include "pcfdemo/database_url.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "pcfdemo/sql_run_repository.h"

namespace pcfdemo {
namespace {

TEST(DatabaseUrlTest, ParsesMySqlUrlWithAllParts) {
  DatabaseUrl url = ParseDatabaseUrl("mysql://pcf:secret@db.example.com:3307/pcfdemo");
  EXPECT_EQ(url.kind, DatabaseUrl::Kind::kMySql);
  EXPECT_EQ(url.user, "pcf");
  EXPECT_EQ(url.password, "secret");
  EXPECT_EQ(url.host, "db.example.com");
  EXPECT_EQ(url.port, 3307);
  EXPECT_EQ(url.database, "pcfdemo");
  EXPECT_EQ(url.Describe(), "mysql db.example.com:3307/pcfdemo");
}

TEST(DatabaseUrlTest, MySqlPortDefaultsTo3306AndOptionsAreIgnored) {
  // The shape Cloud Foundry's ClearDB binding hands out.
  DatabaseUrl url = ParseDatabaseUrl("mysql://b1:p2@us-cdbr.cleardb.net/ad_42?reconnect=true");
  EXPECT_EQ(url.port, 3306);
  EXPECT_EQ(url.database, "ad_42");
  EXPECT_EQ(url.password, "p2");
}

TEST(DatabaseUrlTest, PoolSizeOptionIsReadAndChecked) {
  EXPECT_EQ(ParseDatabaseUrl("mysql://u:p@h/db").pool_size, 0);
  EXPECT_EQ(ParseDatabaseUrl("mysql://u:p@h/db?reconnect=true&pool_size=3").pool_size, 3);
  DatabaseUrl sqlite = ParseDatabaseUrl("sqlite:///tmp/runs.db?pool_size=2");
  EXPECT_EQ(sqlite.pool_size, 2);
  EXPECT_EQ(sqlite.path, "/tmp/runs.db");
  for (const char* bad : {"mysql://u:p@h/db?pool_size=0", "mysql://u:p@h/db?pool_size=257",
                          "mysql://u:p@h/db?pool_size=", "mysql://u:p@h/db?pool_size=x"}) {
    EXPECT_THROW(ParseDatabaseUrl(bad), std::invalid_argument) << bad;
  }
}

TEST(DatabaseUrlTest, PercentEscapesAreDecoded) {
  DatabaseUrl url = ParseDatabaseUrl("mysql://us%40er:p%40ss%3Aw%2Frd%20x%27@127.0.0.1/d%2Db");
  EXPECT_EQ(url.user, "us@er");
  EXPECT_EQ(url.password, "p@ss:w/rd x'");
  EXPECT_EQ(url.database, "d-b");
}

TEST(DatabaseUrlTest, UnescapedAtAndSlashInPasswordStillParse) {
  DatabaseUrl url = ParseDatabaseUrl("mysql://pcf:a@b/c@127.0.0.1:3306/db");
  EXPECT_EQ(url.password, "a@b/c");
  EXPECT_EQ(url.host, "127.0.0.1");
  EXPECT_EQ(url.database, "db");
}

TEST(DatabaseUrlTest, IPv6HostInBrackets) {
  DatabaseUrl url = ParseDatabaseUrl("mysql://u:p@[::1]:3310/db");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 3310);
  EXPECT_EQ(url.Describe(), "mysql [::1]:3310/db");
}

TEST(DatabaseUrlTest, SqliteAndMemory) {
  DatabaseUrl sqlite = ParseDatabaseUrl("sqlite:///var/lib/pcfdemo/runs.db");
  EXPECT_EQ(sqlite.kind, DatabaseUrl::Kind::kSqlite);
  EXPECT_EQ(sqlite.path, "/var/lib/pcfdemo/runs.db");
  EXPECT_EQ(sqlite.Describe(), "sqlite /var/lib/pcfdemo/runs.db");
  EXPECT_EQ(ParseDatabaseUrl("memory:").kind, DatabaseUrl::Kind::kMemory);
}

TEST(DatabaseUrlTest, MalformedUrlsAreRejectedWithoutThePassword) {
  for (const char* bad : {"mysql://u:hunter2@/db", "mysql://u:hunter2@h:0/db",
                          "mysql://u:hunter2@h:http/db", "mysql://u:hunter2@h", "mysql://u:%4@h/d",
                          "sqlite://", "redis://u:hunter2@h", "", "memory"}) {
    try {
      ParseDatabaseUrl(bad);
      ADD_FAILURE() << "accepted " << RedactDatabaseUrl(bad);
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
    }
  }
}

TEST(RedactDatabaseUrlTest, ReplacesOnlyThePassword) {
  EXPECT_EQ(RedactDatabaseUrl("mysql://pcf:secret@db:3306/pcfdemo"),
            "mysql://pcf:***@db:3306/pcfdemo");
  EXPECT_EQ(RedactDatabaseUrl("mysql://pcf:a@b/c@db/pcfdemo"), "mysql://pcf:***@db/pcfdemo");
  EXPECT_EQ(RedactDatabaseUrl("mysql://pcf@db/pcfdemo"), "mysql://pcf@db/pcfdemo");
  EXPECT_EQ(RedactDatabaseUrl("sqlite:///tmp/runs.db"), "sqlite:///tmp/runs.db");
  EXPECT_EQ(RedactDatabaseUrl("memory:"), "memory:");
}

}  // namespace
}  // namespace pcfdemo
