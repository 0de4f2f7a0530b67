#include "cli/job_spec_file.h"

#include <yaml-cpp/eventhandler.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "common/yaml_config.h"

namespace apsis::cli {
namespace {

constexpr double kMaxWattsPerGpu = 10'000;
constexpr int64_t kMaxGpus = 100'000;
constexpr size_t kMaxIdLength = 128;
constexpr size_t kMaxNameLength = 256;

std::string Qualified(const ConfigMap& map, const std::string& key) {
  return map.path().empty() ? key : map.path() + "." + key;
}

// The node of `key` for error positions; the mapping itself when the key is absent.
YAML::Node NodeOf(const ConfigMap& map, const std::string& key) {
  const YAML::Node& node = map.node();
  if (node && node.IsMap() && node[key]) return node[key];
  return node;
}

// A required number in (0, max]. ConfigMap's ranges are closed, so "> 0" is checked here; the
// error count tells whether the value converted at all (no second message for a bad one).
double RequiredPositive(ConfigMap& map, const std::string& key, double max) {
  ConfigReader& reader = map.reader();
  const size_t errors_before = reader.errors().size();
  const double value = map.Required<double>(key, Range{0, max});
  if (reader.errors().size() == errors_before && value <= 0) {
    reader.Error(NodeOf(map, key), "'" + Qualified(map, key) + "' must be > 0");
  }
  return value;
}

void CheckId(ConfigMap& job, const std::string& id) {
  if (id.size() > kMaxIdLength) {
    job.reader().Error(NodeOf(job, "id"), "'" + Qualified(job, "id") + "' must be at most " +
                                              std::to_string(kMaxIdLength) + " characters");
  }
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      job.reader().Error(NodeOf(job, "id"), "'" + Qualified(job, "id") + "' = '" + id +
                                                "' may contain only letters, digits, '-', '_' "
                                                "and '.'");
      return;
    }
  }
}

void ReadTraining(ConfigMap& training, v1::TrainingSpec* out) {
  out->set_gpu_hours(RequiredPositive(training, "gpu_hours", 1e12));
  if (auto interval = training.Maybe<Duration>("checkpoint_interval")) {
    out->set_checkpoint_interval_us(interval->count());
  }
  out->set_checkpoint_gb(training.Optional<double>("checkpoint_gb", 0, Range{0, 1e9}));
  if (auto deadline = training.Maybe<TimePoint>("deadline")) {
    out->set_deadline_us(deadline->micros());
  }
  out->set_deferrable(training.Optional<bool>("deferrable", false));
  out->set_preemptible(training.Optional<bool>("preemptible", false));
  training.Finish();
}

void ReadInference(ConfigMap& inference, const std::string& top_level_region,
                   v1::InferenceSpec* out) {
  ConfigReader& reader = inference.reader();
  const size_t errors_before = reader.errors().size();
  const TimePoint from = inference.Required<TimePoint>("from");
  const TimePoint until = inference.Required<TimePoint>("until");
  if (reader.errors().size() == errors_before && until <= from) {
    reader.Error(NodeOf(inference, "until"), "'" + Qualified(inference, "until") + "' (" +
                                                 FormatRfc3339(until) + ") must be after '" +
                                                 Qualified(inference, "from") + "' (" +
                                                 FormatRfc3339(from) + ")");
  }
  out->set_serve_from_us(from.micros());
  out->set_serve_until_us(until.micros());
  out->set_latency_slo_ms(RequiredPositive(inference, "latency_slo_ms", 1e7));
  out->set_user_region(inference.Optional<std::string>("user_region", ""));
  if (out->user_region().empty() && top_level_region.empty() && inference.valid()) {
    reader.Error(inference.node(), "missing '" + Qualified(inference, "user_region") +
                                       "' (or a top-level user_region): the region the requests "
                                       "come from, e.g. us-east");
  }
  out->set_request_mbps(inference.Optional<double>("request_mbps", 0, Range{0, 1e9}));
  inference.Finish();
}

v1::JobSpec ReadJob(ConfigMap& job) {
  ConfigReader& reader = job.reader();
  v1::JobSpec spec;
  spec.set_name(job.Required<std::string>("name"));
  if (spec.name().size() > kMaxNameLength) {
    reader.Error(NodeOf(job, "name"), "'" + Qualified(job, "name") + "' must be at most " +
                                          std::to_string(kMaxNameLength) + " characters");
  }
  spec.set_id(job.Optional<std::string>("id", ""));
  CheckId(job, spec.id());
  const std::string kind = job.Enum("kind", {"training", "inference"});
  const YAML::Node kind_node = NodeOf(job, "kind");
  const bool kind_known =
      job.Has("kind") && kind_node.IsScalar() && kind_node.Scalar() == kind;  // Enum accepted it
  spec.set_kind(kind == "inference" ? v1::JOB_KIND_INFERENCE : v1::JOB_KIND_TRAINING);
  spec.set_gpus(static_cast<uint32_t>(
      job.Required<int64_t>("gpus", Range{1, static_cast<double>(kMaxGpus)})));
  spec.set_gpu_type(job.Optional<std::string>("gpu_type", ""));
  spec.set_watts_per_gpu(RequiredPositive(job, "watts_per_gpu", kMaxWattsPerGpu));
  spec.set_input_gb(job.Optional<double>("input_gb", 0, Range{0, 1e9}));
  spec.set_output_gb(job.Optional<double>("output_gb", 0, Range{0, 1e9}));
  spec.set_priority(job.Optional<int>("priority", 0, Range{-1000, 1000}));
  ConfigList command = job.List("command");
  for (size_t i = 0; i < command.size(); ++i) {
    if (auto arg = command.ScalarAt<std::string>(i)) spec.add_command(*arg);
  }
  spec.set_user_region(job.Optional<std::string>("user_region", ""));
  if (auto not_before = job.Maybe<TimePoint>("not_before")) {
    spec.set_not_before_us(not_before->micros());
  }

  // The kind decides which section the job needs; the other one is refused rather than ignored,
  // since a forgotten `kind: inference` would otherwise silently submit a training job.
  ConfigMap training = job.Map("training");
  ConfigMap inference = job.Map("inference");
  if (kind_known) {
    const std::string wanted = kind;
    const std::string other = kind == "training" ? "inference" : "training";
    if (!job.Has(wanted)) {
      reader.Error(job.node(), "missing required key '" + Qualified(job, wanted) +
                                   "' for kind: " + kind + " (see configs/jobs/example-jobs.yaml)");
    }
    if (job.Has(other)) {
      reader.Error(NodeOf(job, other), "'" + Qualified(job, other) + "' is only for kind: " +
                                           other + "; remove it or change kind");
    }
    if (kind == "training" && job.Has("training")) {
      ReadTraining(training, spec.mutable_training());
    } else if (kind == "inference" && job.Has("inference")) {
      ReadInference(inference, spec.user_region(), spec.mutable_inference());
    }
  }
  job.Finish();
  return spec;
}

// The parsed YAML tree takes ~50x the text in memory: beyond this a file is refused, not read.
// 8 MiB is ~80,000 jobs, far beyond what the scheduler accepts in one submission.
constexpr uintmax_t kMaxJobSpecFileBytes = 8 << 20;

Status TooLarge(const std::string& name, uintmax_t size) {
  return InvalidArgumentError(name + ":1:1: job spec file is " + std::to_string(size) +
                              " bytes; the limit is " + std::to_string(kMaxJobSpecFileBytes) +
                              " bytes: split it into several files and submits");
}

Status MalformedYaml(const std::string& name, const YAML::Mark& mark, const std::string& what) {
  return InvalidArgumentError(name + ":" + std::to_string(mark.line + 1) + ":" +
                              std::to_string(mark.column + 1) + ": malformed YAML: " + what);
}

// Records where each document starts and nothing else. yaml-cpp 0.7 (Debian 12) reports a
// document that begins with a token it cannot start a node with (e.g. a stray ',') as an empty
// document without consuming that token, so YAML::LoadAll returns that empty document again and
// again until memory runs out (jbeder/yaml-cpp#1040, fixed upstream by #1319 in 2024). A document
// that starts where the previous one did has consumed nothing: that is the point to stop.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> stuck_at;

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (previous_ && previous_->pos == mark.pos) stuck_at = mark;
    previous_ = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  std::optional<YAML::Mark> previous_;
};

// YAML::LoadAll, after a first event-only pass over the text has shown that every document
// consumes input (see DocumentStarts); the second pass builds the nodes.
Result<std::vector<YAML::Node>> LoadDocuments(const std::string& text, const std::string& name) {
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentStarts starts;
    while (parser.HandleNextDocument(starts)) {
      if (starts.stuck_at) {
        const YAML::Mark& at = *starts.stuck_at;
        const char c =
            at.pos >= 0 && static_cast<size_t>(at.pos) < text.size() ? text[at.pos] : ' ';
        return MalformedYaml(
            name, at,
            std::string("unexpected '") + c + "' where a document should start" +
                (c == ',' ? " (',' separates items only inside [...] or {...})" : "") +
                ": remove it or quote the value it belongs to");
      }
    }
    return YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    return MalformedYaml(name, e.mark, e.msg);
  }
}

}  // namespace

Result<std::vector<v1::JobSpec>> ParseJobSpecText(const std::string& text,
                                                  const std::string& name) {
  ASSIGN_OR_RETURN(std::vector<YAML::Node> documents, LoadDocuments(text, name));
  // ConfigReader takes a YamlDocument only for the file name; the documents are read through
  // ConfigMaps built on each node, whose marks point into the whole file.
  ASSIGN_OR_RETURN(YamlDocument file, YamlDocument::Parse("", name));
  ConfigReader reader(file);
  std::vector<v1::JobSpec> specs;
  std::map<std::string, std::string> first_use_of_id;  // id -> where it was first given
  auto add = [&](ConfigMap& job) {
    v1::JobSpec spec = ReadJob(job);
    if (!spec.id().empty()) {
      const std::string where = reader.Where(NodeOf(job, "id"));
      auto [it, inserted] = first_use_of_id.emplace(spec.id(), where);
      if (!inserted) {
        reader.Error(NodeOf(job, "id"), "id '" + spec.id() + "' is already used at " + it->second +
                                            "; ids must be unique");
      }
    }
    specs.push_back(std::move(spec));
  };
  for (const YAML::Node& document : documents) {
    if (!document || document.IsNull()) continue;
    if (!document.IsMap()) {
      reader.Error(document,
                   "each document must be one job (a mapping of key: value) or 'jobs:' with a "
                   "list of jobs");
      continue;
    }
    if (document["jobs"]) {
      ConfigMap top(reader, document, "");
      ConfigList list = top.List("jobs", true);
      if (list.node().IsSequence() && list.size() == 0) {
        reader.Error(list.node(), "'jobs' is empty: give at least one job");
      }
      for (size_t i = 0; i < list.size(); ++i) {
        ConfigMap job = list.MapAt(i);
        if (job.valid()) add(job);
      }
      top.Finish();
    } else {
      ConfigMap job(reader, document, "");
      add(job);
    }
  }
  RETURN_IF_ERROR(reader.status());
  if (specs.empty()) {
    return InvalidArgumentError(name +
                                ": no jobs in the file: write one job per YAML document (separated "
                                "by ---) or a 'jobs:' list (see configs/jobs/example-jobs.yaml)");
  }
  return specs;
}

std::string WithSpecFileKeys(std::string message) {
  static const std::pair<const char*, const char*> kRenames[] = {
      {"training.checkpoint_interval_us", "training.checkpoint_interval"},
      {"inference.serve_until_us", "inference.until"},
      {"inference.serve_from_us", "inference.from"},
      {"training.deadline_us", "training.deadline"},
      {"not_before_us", "not_before"},
  };
  for (const auto& [proto_name, file_key] : kRenames) {
    const std::string from = proto_name;
    for (size_t at = message.find(from); at != std::string::npos;
         at = message.find(from, at + std::strlen(file_key))) {
      message.replace(at, from.size(), file_key);
    }
  }
  return message;
}

Result<std::vector<v1::JobSpec>> LoadJobSpecFile(const std::string& path) {
  std::stringstream buffer;
  if (path == "-") {
    std::string text(kMaxJobSpecFileBytes + 1, '\0');
    std::cin.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(std::cin.gcount()));
    if (text.size() > kMaxJobSpecFileBytes) return TooLarge("<stdin>", text.size());
    return ParseJobSpecText(text, "<stdin>");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFoundError("cannot read job spec file '" + path + "': " + std::strerror(errno) +
                         " (check the path and its permissions)");
  }
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxJobSpecFileBytes) return TooLarge(path, size);
  buffer << in.rdbuf();
  return ParseJobSpecText(buffer.str(), path);
}

}  // namespace apsis::cli
