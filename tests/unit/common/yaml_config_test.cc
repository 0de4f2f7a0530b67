#include "common/yaml_config.h"

#include <gtest/gtest.h>

namespace apsis {
namespace {

struct Site {
  std::string name;
  double grid_kw = 0;
  int64_t gpus = 0;
  bool solar = false;
  Duration step{};
};

Status LoadSite(const std::string& text, Site* out) {
  ASSIGN_OR_RETURN(YamlDocument doc, YamlDocument::Parse(text, "site.yaml"));
  ConfigReader reader(doc);
  ConfigMap root = reader.Root();
  out->name = root.Required<std::string>("name");
  out->grid_kw = root.Required<double>("grid_kw", Range{0, 1e6});
  out->gpus = root.Optional<int64_t>("gpus", 8, Range{1, 100000});
  out->solar = root.Optional<bool>("solar", false);
  out->step = root.Optional<Duration>("step", Seconds(60));
  root.Finish();
  return reader.status();
}

TEST(YamlConfigTest, ReadsValidConfig) {
  Site site;
  ASSERT_TRUE(LoadSite("name: dc1\ngrid_kw: 500\nsolar: true\nstep: 2m\n", &site).ok());
  EXPECT_EQ(site.name, "dc1");
  EXPECT_EQ(site.grid_kw, 500);
  EXPECT_EQ(site.gpus, 8);
  EXPECT_TRUE(site.solar);
  EXPECT_EQ(site.step, Minutes(2));
}

TEST(YamlConfigTest, AnErrorAtAnAbsentKeyNamesTheFileInsteadOfThrowing) {
  auto doc = YamlDocument::Parse("name: a\n", "site.yaml");
  ASSERT_TRUE(doc.ok());
  ConfigReader reader(*doc);
  const YAML::Node& root = doc->root();
  reader.Error(root["absent"], "needed here");  // a const lookup: an invalid node
  EXPECT_EQ(reader.status().message(), "site.yaml:1:1: needed here");
}

TEST(YamlConfigTest, TypoedKeyIsNamedWithLineColumnAndSuggestion) {
  Site site;
  Status s = LoadSite("name: dc1\ngrid_kw: 500\ngpsu: 4\n", &site);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("site.yaml:3:1: unknown key 'gpsu'"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("did you mean 'gpus'"), std::string::npos) << s.message();
}

TEST(YamlConfigTest, WrongTypeIsNamedWithLineColumn) {
  Site site;
  Status s = LoadSite("name: dc1\ngrid_kw: lots\n", &site);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("site.yaml:2:10: 'grid_kw' must be a number, got 'lots'"),
            std::string::npos)
      << s.message();
}

TEST(YamlConfigTest, MissingFieldIsNamed) {
  Site site;
  Status s = LoadSite("name: dc1\n", &site);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("site.yaml:1:1: missing required key 'grid_kw'"), std::string::npos)
      << s.message();
}

TEST(YamlConfigTest, OutOfRangeIsNamed) {
  Site site;
  Status s = LoadSite("name: dc1\ngrid_kw: 5\ngpus: 0\n", &site);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("site.yaml:3:7: 'gpus' = 0 is out of range [1, 100000]"),
            std::string::npos)
      << s.message();
}

TEST(YamlConfigTest, MalformedYamlIsNamed) {
  Site site;
  Status s = LoadSite("name: dc1\ngrid_kw: [1, 2\n", &site);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("site.yaml:"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("malformed YAML"), std::string::npos) << s.message();
}

TEST(YamlConfigTest, ReportsEveryProblemAtOnce) {
  Site site;
  Status s = LoadSite("grid_kw: -1\nsolar: maybe\nextra: 1\n", &site);
  ASSERT_FALSE(s.ok());
  // missing name, out of range grid_kw, bad bool, unknown key
  EXPECT_EQ(std::count(s.message().begin(), s.message().end(), '\n'), 3) << s.message();
}

TEST(YamlConfigTest, NestedPathsAppearInMessages) {
  auto doc = YamlDocument::Parse("battery:\n  capacity_wh: x\n", "node.yaml");
  ASSERT_TRUE(doc.ok());
  ConfigReader reader(*doc);
  ConfigMap root = reader.Root();
  ConfigMap battery = root.Map("battery", true);
  battery.Required<double>("capacity_wh");
  battery.Finish();
  root.Finish();
  EXPECT_NE(
      reader.status().message().find("node.yaml:2:16: 'battery.capacity_wh' must be a number"),
      std::string::npos)
      << reader.status().message();
}

TEST(YamlConfigTest, EnumListsChoices) {
  auto doc = YamlDocument::Parse("kind: lunar\n", "node.yaml");
  ASSERT_TRUE(doc.ok());
  ConfigReader reader(*doc);
  ConfigMap root = reader.Root();
  root.Enum("kind", {"ground", "orbital"});
  EXPECT_NE(reader.status().message().find("must be one of ground, orbital, got 'lunar'"),
            std::string::npos)
      << reader.status().message();
}

}  // namespace
}  // namespace apsis
