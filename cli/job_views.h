// How apsisctl shows jobs, placements, explanations, events and the scheduler's status: one JSON
// shape per answer (rendered as `-o json` or `-o yaml`) and one human table or summary.
//
// JSON field names follow the job spec file (configs/jobs/example-jobs.yaml): times are RFC 3339
// strings (null when unset), durations are spelled like "1h", enums are lower-case words. So the
// "spec" of `apsisctl job ID -o yaml` reads back as a job spec file. Pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "apsis/v1/client.pb.h"
#include "apsis/v1/common.pb.h"

namespace apsis::cli {

nlohmann::json JobSpecJson(const v1::JobSpec& spec);
nlohmann::json CostJson(const v1::CostBreakdown& cost);
nlohmann::json JobStatusJson(const v1::JobStatus& job);
nlohmann::json JobListJson(const std::vector<v1::JobStatus>& jobs);
nlohmann::json SubmittedJson(const std::vector<v1::JobSpec>& specs,
                             const v1::SubmitJobsResponse& response);
nlohmann::json ExplanationJson(const v1::Explanation& explanation);
nlohmann::json EventListJson(const v1::EventList& events);
nlohmann::json SchedulerStatusJson(const v1::SchedulerStatus& status);

// ID NAME KIND STATE GPUS NODE START END MESSAGE, one row per job.
void PrintJobsTable(std::ostream& out, const std::vector<v1::JobStatus>& jobs);
// Every field of one job, grouped (spec, placement, cost, state).
void PrintJobDetail(std::ostream& out, const v1::JobStatus& job);
// "submitted job-000001 (name)" lines.
void PrintSubmitted(std::ostream& out, const std::vector<v1::JobSpec>& specs,
                    const v1::SubmitJobsResponse& response);
// The decision, then the candidate table: node, feasible, start, cost breakdown, rejection reason.
void PrintExplanation(std::ostream& out, const v1::Explanation& explanation);
void PrintEventsTable(std::ostream& out, const v1::EventList& events);
void PrintSchedulerStatus(std::ostream& out, const v1::SchedulerStatus& status);

}  // namespace apsis::cli
