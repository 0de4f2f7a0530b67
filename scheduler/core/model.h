// The scheduler's domain model: nodes, their forecasts, jobs, reservations and actions.
//
// These are plain value types shared by the planner (engine.h), the placement policies and the
// independent plan checker (plan_checker.h). They carry no behaviour beyond validation and small
// derived quantities, so both sides of the planner/checker split read the same inputs but
// re-derive every constraint on their own. All types are thread-compatible values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "link/contact_window.h"

namespace apsis::core {

enum class NodeKind { kGround, kOrbital };

// Ready nodes take new work. Cordoned and draining nodes take nothing new (draining ones keep
// running what they have). Out-of-contact is informational for orbital nodes: they still accept
// time-tagged starts. Down nodes run nothing; their running jobs are lost.
enum class NodeState { kReady, kCordoned, kDraining, kOutOfContact, kDown };

std::string_view NodeKindName(NodeKind kind);
std::string_view NodeStateName(NodeState state);

// Static description of one schedulable site.
struct NodeSpec {
  std::string id;
  NodeKind kind = NodeKind::kGround;
  int gpu_count = 0;
  std::string gpu_type;               // e.g. "H100"
  double gpu_watts = 0;               // maximum electrical draw of one GPU
  double pue = 1.0;                   // ground: facility power per watt of IT load
  double bus_load_w = 0;              // orbital: constant draw of the spacecraft bus
  std::string region;                 // ground: where the site is (e.g. "us-west")
  std::string orbit;                  // orbital: TLE name or mean elements, informational
  std::vector<std::string> stations;  // ground stations the node can use
  bool relay = false;                 // orbital: a data-relay link gives continuous contact
};

// Battery state and limits at the start of a forecast (orbital nodes).
struct BatteryForecast {
  double capacity_wh = 0;
  double initial_soc_wh = 0;    // state of charge at forecast.start
  double floor_fraction = 0.2;  // SoC must stay above capacity × floor_fraction
  double charge_efficiency = 0.95;
  double discharge_efficiency = 0.95;
  double max_charge_w = 0;     // 0 ⇒ unlimited
  double max_discharge_w = 0;  // 0 ⇒ unlimited
};

// What a node can offer over the horizon, on a fixed step grid: value i covers
// [start + i·step, start + (i+1)·step). Vectors that do not apply to a node kind may be empty.
struct NodeForecast {
  TimePoint start;
  Duration step = Seconds(60);
  // Ground: facility power (IT load × PUE) the site can give Apsis. Orbital: power-distribution
  // limit for the payload (GPUs), in watts.
  std::vector<float> power_available_w;
  std::vector<float> price_usd_per_kwh;      // ground; empty ⇒ 0
  std::vector<float> carbon_g_per_kwh;       // ground; empty ⇒ 0
  std::vector<float> solar_input_w;          // orbital: array output (0 in eclipse)
  std::vector<float> sunlit_fraction;        // orbital: informational, 0 in eclipse
  std::vector<float> radiator_limit_w;       // orbital: heat the radiators can reject (bus + GPUs)
  BatteryForecast battery;                   // orbital
  std::vector<ContactWindow> windows;        // sorted by aos
  std::map<std::string, double> latency_ms;  // round-trip latency to each user region

  int steps() const { return static_cast<int>(power_available_w.size()); }
  TimePoint end() const { return start + step * steps(); }
};

// Checks sizes, ordering and ranges; `kind` selects which vectors are required.
Status ValidateForecast(NodeKind kind, const NodeForecast& forecast);
Status ValidateNodeSpec(const NodeSpec& spec);

enum class JobKind { kTraining, kInference };

struct TrainingSpec {
  double gpu_hours = 0;  // total work; run time on a node is gpu_hours / gpus
  Duration checkpoint_interval = Hours(1);
  double checkpoint_gb = 0;
  std::optional<TimePoint> deadline;  // end of run and output downlink
  bool deferrable = false;            // may start later to catch cheap energy
  bool preemptible = false;
};

struct InferenceSpec {
  TimePoint serve_start;
  TimePoint serve_end;
  double latency_slo_ms = 0;
  double request_in_bps = 0;
  double response_out_bps = 0;
};

struct JobSpec {
  std::string id;
  JobKind kind = JobKind::kTraining;
  int gpus = 1;
  std::string gpu_type;  // empty ⇒ any type
  double watts_per_gpu = 0;
  double input_gb = 0;
  double output_gb = 0;
  int priority = 0;    // higher is more important
  std::string region;  // user region (inference: where requests come from)
  TimePoint submitted_at;
  TimePoint earliest_start;
  std::string command;
  TrainingSpec training;
  InferenceSpec inference;
};

Status ValidateJobSpec(const JobSpec& job);

// Money terms of a placement, in US dollars (already weighted).
struct CostBreakdown {
  double energy_usd = 0;
  double carbon_usd = 0;
  double battery_wear_usd = 0;
  double transfer_usd = 0;
  double latency_usd = 0;
  double delay_usd = 0;
  double total() const {
    return energy_usd + carbon_usd + battery_wear_usd + transfer_usd + latency_usd + delay_usd;
  }
};

enum class TransferDirection { kUplink, kDownlink };

// What a window carries for a job: staging (input and a resumed checkpoint up before the start,
// output down after the end), the checkpoint of a stopped job coming down so that it can resume
// on another node, or an inference job's requests (up) and responses (down) while it serves.
enum class TransferPurpose { kStaging, kCheckpoint, kServing };

// Bytes of one job carried by one contact window of the job's node.
struct TransferAllocation {
  TransferDirection direction = TransferDirection::kUplink;
  int window_index = 0;  // index into the node's forecast.windows
  std::string station;
  TimePoint aos;
  TimePoint los;
  double bytes = 0;
  TransferPurpose purpose = TransferPurpose::kStaging;
};

// A job reserved on a node for [start, end), with its data-staging plan and cost.
struct Reservation {
  std::string job_id;
  std::string node_id;
  TimePoint start;
  TimePoint end;
  int gpus = 0;
  double it_load_w = 0;        // GPUs × watts per GPU (before PUE)
  double work_gpu_hours = 0;   // training work this reservation performs
  bool running = false;        // the node reported the job started
  bool input_on_node = false;  // input already staged (running, or resumed where it ran)
  bool stopping = false;       // tail of a job being stopped: ends with a checkpoint, no output
  // Holds no GPUs: only the kCheckpoint downlinks that bring a stopped job's checkpoint, written
  // at `start`, to the ground by `end` so the job can resume on another node.
  bool checkpoint_downlink = false;
  // Output of running work that no downlink window of the forecast can carry between the end and
  // the deadline (or horizon) once its windows changed: it stays on the node, the job keeps
  // running, and later forecasts' windows are tried again.
  double output_waiting_bytes = 0;
  std::vector<TransferAllocation> transfers;
  CostBreakdown cost;
};

// Why a candidate was rejected; also used for the checker's violations.
enum class Constraint {
  kNone,
  kNodeState,
  kNoForecast,
  kGpuType,
  kGpuCount,
  kGpuWatts,
  kPolicy,
  kGpusBusy,
  kPower,
  kRadiator,
  kBatteryFloor,
  kBatteryDischarge,
  kUplink,
  kDownlink,
  kLatency,
  kContact,
  kDeadline,
  kHorizon,
};
std::string_view ConstraintName(Constraint c);

struct StartJob {
  std::string job_id;
  std::string node_id;
  TimePoint at;  // time-tagged: the node starts the job then, even out of contact
  TimePoint expected_end;
  double work_gpu_hours = 0;  // training: work from the last checkpoint
};

struct StopJob {
  std::string job_id;
  std::string node_id;
  TimePoint at;
  bool checkpoint = true;  // write a checkpoint before stopping
  std::string reason;
};

struct Reject {
  std::string job_id;
  Constraint constraint = Constraint::kNone;
  std::string reason;
};

using Action = std::variant<StartJob, StopJob, Reject>;

// The typed outcome of trying to schedule one job in one Plan() call.
enum class OutcomeKind { kPlaced, kRetryLater, kInfeasible };
struct JobOutcome {
  std::string job_id;
  OutcomeKind kind = OutcomeKind::kPlaced;
  Constraint constraint = Constraint::kNone;
  std::string reason;
};

// Events reported by agents about a job.
enum class JobEventType { kStarted, kProgress, kCheckpointed, kFinished, kFailed, kLost };
struct JobEvent {
  std::string job_id;
  JobEventType type = JobEventType::kStarted;
  TimePoint at;
  double done_gpu_hours = 0;  // progress / checkpointed: total work done so far
};

enum class JobState { kPending, kPlaced, kRunning, kSucceeded, kFailed, kCancelled, kRejected };
std::string_view JobStateName(JobState state);

}  // namespace apsis::core
