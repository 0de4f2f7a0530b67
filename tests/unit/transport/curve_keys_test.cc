#include "transport/curve_keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace apsis::transport {
namespace {
namespace fs = std::filesystem;

class CurveKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("apsis-keys-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(CurveKeysTest, KeygenWritesPrivateKeyFileAndPublicFile) {
  auto keys = GenerateCurveKeyPair();
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_TRUE(IsValidZ85Key(keys->public_z85));
  ASSERT_TRUE(WriteCurveKeyFiles(dir_.string(), "scheduler", *keys).ok());
  struct stat st;
  ASSERT_EQ(stat((dir_ / "scheduler.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto loaded = LoadCurveKeyPair((dir_ / "scheduler.key").string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->secret_z85, keys->secret_z85);
  auto pub = LoadCurvePublicKey((dir_ / "scheduler.pub").string());
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(*pub, keys->public_z85);
}

TEST_F(CurveKeysTest, RefusesToOverwrite) {
  auto keys = GenerateCurveKeyPair();
  ASSERT_TRUE(WriteCurveKeyFiles(dir_.string(), "a", *keys).ok());
  EXPECT_EQ(WriteCurveKeyFiles(dir_.string(), "a", *keys).code(), StatusCode::kAlreadyExists);
}

TEST_F(CurveKeysTest, RefusesWorldReadableSecretKey) {
  auto keys = GenerateCurveKeyPair();
  ASSERT_TRUE(WriteCurveKeyFiles(dir_.string(), "a", *keys).ok());
  fs::permissions(dir_ / "a.key", fs::perms::others_read, fs::perm_options::add);
  auto loaded = LoadCurveKeyPair((dir_ / "a.key").string());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(loaded.status().message().find("chmod 600"), std::string::npos);
}

TEST_F(CurveKeysTest, ADirectoryOrAnOversizedFileIsNotTakenForAKeyFile) {
  fs::create_directories(dir_ / "a.key");
  fs::permissions(dir_ / "a.key", fs::perms::owner_all);
  auto directory = LoadCurveKeyPair((dir_ / "a.key").string());
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.status().message().find("not a regular file"), std::string::npos)
      << directory.status().ToString();

  const fs::path big = dir_ / "big.key";
  std::ofstream(big) << std::string(100 * 1024, '#');
  fs::permissions(big, fs::perms::owner_read | fs::perms::owner_write);
  auto oversized = LoadCurveKeyPair(big.string());
  ASSERT_FALSE(oversized.ok());
  EXPECT_NE(oversized.status().message().find("larger than 64 KiB"), std::string::npos)
      << oversized.status().ToString();
}

TEST_F(CurveKeysTest, AllowlistDirMapsKeysToNames) {
  auto a = GenerateCurveKeyPair();
  auto b = GenerateCurveKeyPair();
  ASSERT_TRUE(WriteCurveKeyFiles(dir_.string(), "node-a", *a).ok());
  ASSERT_TRUE(WriteCurveKeyFiles(dir_.string(), "node-b", *b).ok());
  auto allow = LoadAllowlistDir(dir_.string());
  ASSERT_TRUE(allow.ok()) << allow.status().ToString();
  ASSERT_EQ(allow->size(), 2u);
  EXPECT_EQ(allow->at(a->public_z85), "node-a");
  EXPECT_EQ(allow->at(b->public_z85), "node-b");
}

TEST_F(CurveKeysTest, BadPublicKeyFileNamesTheFile) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "bad.pub") << "not-a-key\n";
  auto allow = LoadAllowlistDir(dir_.string());
  ASSERT_FALSE(allow.ok());
  EXPECT_NE(allow.status().message().find("bad.pub:1:1"), std::string::npos);
}

}  // namespace
}  // namespace apsis::transport
