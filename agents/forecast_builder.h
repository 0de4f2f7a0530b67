// ForecastBuilder: turns a node's power model, contact plan and region latencies into the
// apsis.v1.Forecast the scheduler plans on.
//
// Steps lie on a fixed grid (`step`, default 60 s, aligned to multiples of the step since the
// epoch so that successive forecasts line up) covering `horizon` (default 24 h) from the step that
// contains "now". Each forecast gets the next revision number. Single-threaded (agent loop).
#pragma once

#include <string>
#include <vector>

#include "agents/contact_plan.h"
#include "agents/power_model.h"
#include "apsis/v1/common.pb.h"

namespace apsis::agents {

struct ForecastOptions {
  Duration step = Seconds(60);
  Duration horizon = Hours(24);
};

class ForecastBuilder {
 public:
  // `contacts` may be null (ground nodes); both it and `model` must outlive the builder.
  ForecastBuilder(std::string node_id, ForecastOptions options, PowerModel& model,
                  const ContactPlan* contacts, std::vector<v1::RegionLatency> latencies);

  // A forecast from the grid step containing `now`, assuming the current job draw continues.
  Result<v1::Forecast> Build(TimePoint now, double job_draw_w);

  // The start of the grid step containing `t`.
  TimePoint GridStart(TimePoint t) const;
  uint64_t revision() const { return revision_; }
  const ForecastOptions& options() const { return options_; }

 private:
  std::string node_id_;
  ForecastOptions options_;
  PowerModel& model_;
  const ContactPlan* contacts_;
  std::vector<v1::RegionLatency> latencies_;
  uint64_t revision_ = 0;
};

// Copies a link ContactWindow into its wire form.
void ToProto(const ContactWindow& window, v1::ContactWindow* out);

}  // namespace apsis::agents
