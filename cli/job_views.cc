#include "cli/job_views.h"

#include <map>

#include "cli/output_format.h"
#include "common/time.h"

namespace apsis::cli {
namespace {

constexpr size_t kTableMessageWidth = 60;

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

// "$1.23 (energy $1.00, battery $0.10, transfer $0.13)" with only the non-zero terms.
std::string CostSummary(const v1::CostBreakdown& cost) {
  std::string terms;
  auto add = [&](const char* name, double usd) {
    if (usd != 0) terms += std::string(terms.empty() ? "" : ", ") + name + " " + Dollars(usd);
  };
  add("energy", cost.energy_usd());
  add("battery wear", cost.battery_wear_usd());
  add("transfer", cost.transfer_usd());
  add("latency", cost.latency_penalty());
  add("delay", cost.delay_penalty());
  return Dollars(cost.total()) + (terms.empty() ? "" : " (" + terms + ")");
}

}  // namespace

nlohmann::json JobSpecJson(const v1::JobSpec& spec) {
  nlohmann::json out;
  out["name"] = spec.name();
  out["id"] = spec.id();
  out["kind"] = JobKindName(spec.kind());
  out["gpus"] = spec.gpus();
  out["gpu_type"] = spec.gpu_type();
  out["watts_per_gpu"] = spec.watts_per_gpu();
  out["input_gb"] = spec.input_gb();
  out["output_gb"] = spec.output_gb();
  out["priority"] = spec.priority();
  out["command"] = nlohmann::json::array();
  for (const auto& arg : spec.command()) out["command"].push_back(arg);
  out["user_region"] = spec.user_region();
  out["not_before"] = TimeJson(spec.not_before_us());
  if (spec.kind() == v1::JOB_KIND_TRAINING) {
    const v1::TrainingSpec& t = spec.training();
    nlohmann::json training;
    training["gpu_hours"] = t.gpu_hours();
    training["checkpoint_interval"] =
        t.checkpoint_interval_us() > 0
            ? nlohmann::json(FormatDuration(Duration(t.checkpoint_interval_us())))
            : nlohmann::json(nullptr);
    training["checkpoint_gb"] = t.checkpoint_gb();
    training["deadline"] = TimeJson(t.deadline_us());
    training["deferrable"] = t.deferrable();
    training["preemptible"] = t.preemptible();
    out["training"] = std::move(training);
  } else if (spec.kind() == v1::JOB_KIND_INFERENCE) {
    const v1::InferenceSpec& i = spec.inference();
    nlohmann::json inference;
    inference["from"] = TimeJson(i.serve_from_us());
    inference["until"] = TimeJson(i.serve_until_us());
    inference["latency_slo_ms"] = i.latency_slo_ms();
    inference["user_region"] = i.user_region();
    inference["request_mbps"] = i.request_mbps();
    out["inference"] = std::move(inference);
  }
  return out;
}

nlohmann::json CostJson(const v1::CostBreakdown& cost) {
  return {{"energy_usd", cost.energy_usd()},       {"battery_wear_usd", cost.battery_wear_usd()},
          {"transfer_usd", cost.transfer_usd()},   {"latency_penalty", cost.latency_penalty()},
          {"delay_penalty", cost.delay_penalty()}, {"total", cost.total()},
          {"energy_kwh", cost.energy_kwh()},       {"carbon_kg", cost.carbon_kg()}};
}

nlohmann::json JobStatusJson(const v1::JobStatus& job) {
  nlohmann::json out;
  out["id"] = job.spec().id();
  out["name"] = job.spec().name();
  out["kind"] = JobKindName(job.spec().kind());
  out["state"] = JobStateName(job.state());
  out["message"] = job.message();
  out["owner"] = job.spec().owner();
  out["submitted"] = TimeJson(job.submitted_us());
  out["updated"] = TimeJson(job.updated_us());
  out["attempts"] = job.attempts();
  out["progress_gpu_hours"] = job.progress_gpu_hours();
  if (!job.resume_node_id().empty()) {
    out["checkpoint"] = {{"node", job.resume_node_id()},
                         {"written", TimeJson(job.checkpoint_written_us())}};
  }
  if (job.has_placement() && !job.placement().node_id().empty()) {
    const v1::Placement& p = job.placement();
    out["placement"] = {{"node", p.node_id()},
                        {"start", TimeJson(p.start_us())},
                        {"end", TimeJson(p.end_us())},
                        {"cost", CostJson(p.cost())}};
  } else {
    out["placement"] = nullptr;
  }
  out["spec"] = JobSpecJson(job.spec());
  return out;
}

nlohmann::json JobListJson(const std::vector<v1::JobStatus>& jobs) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& job : jobs) list.push_back(JobStatusJson(job));
  return {{"jobs", std::move(list)}};
}

nlohmann::json SubmittedJson(const std::vector<v1::JobSpec>& specs,
                             const v1::SubmitJobsResponse& response) {
  nlohmann::json ids = nlohmann::json::array();
  nlohmann::json jobs = nlohmann::json::array();
  for (int i = 0; i < response.job_ids_size(); ++i) {
    ids.push_back(response.job_ids(i));
    const std::string name = i < static_cast<int>(specs.size()) ? specs[i].name() : "";
    jobs.push_back({{"id", response.job_ids(i)}, {"name", name}});
  }
  return {{"job_ids", std::move(ids)}, {"jobs", std::move(jobs)}};
}

nlohmann::json ExplanationJson(const v1::Explanation& explanation) {
  nlohmann::json candidates = nlohmann::json::array();
  for (const v1::CandidateExplanation& c : explanation.candidates()) {
    candidates.push_back({{"node", c.node_id()},
                          {"feasible", c.feasible()},
                          {"start", TimeJson(c.start_us())},
                          {"cost", CostJson(c.cost())},
                          {"rejected_because", c.rejected_because()}});
  }
  return {{"job_id", explanation.job_id()},
          {"decision", explanation.decision()},
          {"candidates", std::move(candidates)}};
}

nlohmann::json EventListJson(const v1::EventList& events) {
  nlohmann::json list = nlohmann::json::array();
  for (const v1::EventRecord& e : events.events()) {
    list.push_back({{"sequence", e.sequence()},
                    {"at", TimeJson(e.at_us())},
                    {"job_id", e.job_id()},
                    {"node_id", e.node_id()},
                    {"kind", e.kind()},
                    {"message", e.message()}});
  }
  return {{"events", std::move(list)}};
}

nlohmann::json SchedulerStatusJson(const v1::SchedulerStatus& status) {
  nlohmann::json by_state = nlohmann::json::object();
  uint64_t total = 0;
  for (const auto& [name, count] : status.jobs_by_state()) {
    v1::JobState state;
    by_state[v1::JobState_Parse(name, &state) ? JobStateName(state) : name] = count;
    total += count;
  }
  // energy_usd_total is left out: the scheduler does not fill it yet, and a 0 would mislead.
  return {{"version", status.version()},         {"cluster_id", status.cluster_id()},
          {"now", TimeJson(status.now_us())},    {"nodes", status.nodes()},
          {"nodes_ready", status.nodes_ready()}, {"jobs", total},
          {"jobs_by_state", std::move(by_state)}};
}

void PrintJobsTable(std::ostream& out, const std::vector<v1::JobStatus>& jobs) {
  TextTable table({"ID", "NAME", "KIND", "STATE", "GPUS", "NODE", "START", "END", "MESSAGE"});
  for (const v1::JobStatus& job : jobs) {
    const v1::Placement& p = job.placement();
    table.AddRow({job.spec().id(), OrDash(job.spec().name()), JobKindName(job.spec().kind()),
                  JobStateName(job.state()), std::to_string(job.spec().gpus()), OrDash(p.node_id()),
                  TableTime(p.start_us()), TableTime(p.end_us()),
                  Truncate(job.message(), kTableMessageWidth)});
  }
  if (table.rows() == 0) {
    out << "no jobs\n";
    return;
  }
  table.Print(out);
}

void PrintJobDetail(std::ostream& out, const v1::JobStatus& job) {
  const v1::JobSpec& spec = job.spec();
  Fields fields = {
      {"id", spec.id()},
      {"name", OrDash(spec.name())},
      {"kind", JobKindName(spec.kind())},
      {"state", JobStateName(job.state())},
      {"message", OrDash(job.message())},
      {"owner", OrDash(spec.owner())},
      {"submitted", TableTime(job.submitted_us())},
      {"updated", TableTime(job.updated_us())},
      {"attempts", std::to_string(job.attempts())},
      {"gpus", std::to_string(spec.gpus()) + " x " +
                   (spec.gpu_type().empty() ? "any type" : spec.gpu_type()) + " at " +
                   Fixed(spec.watts_per_gpu(), 0) + " W each"},
      {"data", Fixed(spec.input_gb(), 1) + " GB in, " + Fixed(spec.output_gb(), 1) + " GB out"},
      {"priority", std::to_string(spec.priority())},
      {"command", OrDash(Joined(spec.command()))},
      {"user region", OrDash(spec.user_region())},
      {"not before", TableTime(spec.not_before_us())}};
  if (spec.kind() == v1::JOB_KIND_TRAINING) {
    const v1::TrainingSpec& t = spec.training();
    fields.push_back({"work", Fixed(job.progress_gpu_hours(), 1) + " of " +
                                  Fixed(t.gpu_hours(), 1) + " GPU-hours done"});
    fields.push_back(
        {"checkpoints", t.checkpoint_interval_us() > 0
                            ? "every " + FormatDuration(Duration(t.checkpoint_interval_us())) +
                                  ", " + Fixed(t.checkpoint_gb(), 1) + " GB"
                            : "none"});
    if (!job.resume_node_id().empty()) {
      fields.push_back({"checkpoint", "on " + job.resume_node_id() + ", written " +
                                          TableTime(job.checkpoint_written_us())});
    }
    fields.push_back({"deadline", TableTime(t.deadline_us())});
    fields.push_back({"deferrable", t.deferrable() ? "yes" : "no"});
    fields.push_back({"preemptible", t.preemptible() ? "yes" : "no"});
  } else if (spec.kind() == v1::JOB_KIND_INFERENCE) {
    const v1::InferenceSpec& i = spec.inference();
    fields.push_back(
        {"serving", TableTime(i.serve_from_us()) + " .. " + TableTime(i.serve_until_us())});
    fields.push_back({"latency SLO",
                      Fixed(i.latency_slo_ms(), 1) + " ms to " +
                          OrDash(i.user_region().empty() ? spec.user_region() : i.user_region())});
    fields.push_back({"requests", Fixed(i.request_mbps(), 1) + " Mbit/s"});
  }
  const v1::Placement& p = job.placement();
  if (!p.node_id().empty()) {
    fields.push_back({"node", p.node_id()});
    fields.push_back({"start", TableTime(p.start_us())});
    fields.push_back({"end", TableTime(p.end_us())});
    fields.push_back({"cost", CostSummary(p.cost())});
    fields.push_back({"energy", Fixed(p.cost().energy_kwh(), 2) + " kWh, " +
                                    Fixed(p.cost().carbon_kg(), 2) + " kg CO2"});
  } else {
    fields.push_back({"node", "- (not placed)"});
  }
  PrintFields(out, fields);
}

void PrintSubmitted(std::ostream& out, const std::vector<v1::JobSpec>& specs,
                    const v1::SubmitJobsResponse& response) {
  for (int i = 0; i < response.job_ids_size(); ++i) {
    out << "submitted " << response.job_ids(i);
    if (i < static_cast<int>(specs.size()) && !specs[i].name().empty())
      out << " (" << specs[i].name() << ")";
    out << "\n";
  }
}

void PrintExplanation(std::ostream& out, const v1::Explanation& explanation) {
  out << "job " << explanation.job_id() << ": " << OrDash(explanation.decision()) << "\n";
  if (explanation.candidates_size() == 0) {
    out << "no candidate nodes evaluated\n";
    return;
  }
  out << "\n";
  TextTable table({"NODE", "FEASIBLE", "START", "ENERGY", "BATTERY", "TRANSFER", "LATENCY", "DELAY",
                   "TOTAL", "KWH", "REJECTED BECAUSE"});
  for (const v1::CandidateExplanation& c : explanation.candidates()) {
    const v1::CostBreakdown& cost = c.cost();
    // A rejected candidate was never costed; its zeros would read as "free".
    const bool costed = c.feasible() || cost.total() != 0;
    auto usd = [&](double v) { return costed ? Dollars(v) : std::string("-"); };
    table.AddRow({c.node_id(), c.feasible() ? "yes" : "no", TableTime(c.start_us()),
                  usd(cost.energy_usd()), usd(cost.battery_wear_usd()), usd(cost.transfer_usd()),
                  usd(cost.latency_penalty()), usd(cost.delay_penalty()), usd(cost.total()),
                  costed ? Fixed(cost.energy_kwh(), 1) : "-", OrDash(c.rejected_because())});
  }
  table.Print(out);
}

void PrintEventsTable(std::ostream& out, const v1::EventList& events) {
  TextTable table({"SEQ", "TIME", "JOB", "NODE", "EVENT", "MESSAGE"});
  for (const v1::EventRecord& e : events.events()) {
    table.AddRow({std::to_string(e.sequence()), TableTime(e.at_us()), OrDash(e.job_id()),
                  OrDash(e.node_id()), e.kind(), e.message()});
  }
  if (table.rows() == 0) {
    out << "no events\n";
    return;
  }
  table.Print(out);
}

void PrintSchedulerStatus(std::ostream& out, const v1::SchedulerStatus& status) {
  // States in lifecycle order rather than the map's alphabetical one.
  std::map<int, std::pair<std::string, uint32_t>> ordered;
  uint64_t total = 0;
  for (const auto& [name, count] : status.jobs_by_state()) {
    v1::JobState state;
    const bool known = v1::JobState_Parse(name, &state);
    ordered[known ? static_cast<int>(state) : 1000 + static_cast<int>(ordered.size())] = {
        known ? JobStateName(state) : name, count};
    total += count;
  }
  std::string jobs = std::to_string(total);
  std::string breakdown;
  for (const auto& [order, entry] : ordered)
    breakdown += (breakdown.empty() ? "" : ", ") + std::to_string(entry.second) + " " + entry.first;
  if (!breakdown.empty()) jobs += " (" + breakdown + ")";
  PrintFields(out, {{"cluster", OrDash(status.cluster_id())},
                    {"version", OrDash(status.version())},
                    {"scheduler time", TableTime(status.now_us())},
                    {"nodes", std::to_string(status.nodes()) + " (" +
                                  std::to_string(status.nodes_ready()) + " ready)"},
                    {"jobs", jobs}});
}

}  // namespace apsis::cli
