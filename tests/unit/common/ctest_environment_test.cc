// The environment apsis_test gives every test under ctest: both directories, not only the first
// (a list-valued property passed through gtest_discover_tests keeps only its first element).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace {

TEST(CtestEnvironmentTest, BothTheSourceAndTheBinaryDirectoryArePassed) {
  const char* source = std::getenv("APSIS_SOURCE_DIR");
  if (source == nullptr) GTEST_SKIP() << "not run by ctest (APSIS_SOURCE_DIR is not set)";
  EXPECT_EQ(std::string(source), APSIS_SOURCE_DIR);
  const char* binary = std::getenv("APSIS_BINARY_DIR");
  ASSERT_NE(binary, nullptr) << "ctest set APSIS_SOURCE_DIR but not APSIS_BINARY_DIR";
  EXPECT_EQ(std::string(binary), APSIS_BINARY_DIR);
}

}  // namespace
