// NodeModel: one node's energy supply and contact windows over a whole simulation, computed once
// from the agents' own models, and the forecasts its agent would send.
//
// Ground sites use agents::GroundPowerModel (grid / PUE, the site's hourly price profile repeated
// day by day, the built-in carbon profile); orbital nodes use agents::OrbitalPowerModel (SGP4
// position, Sun, conical shadow, array degradation) and agents::ContactPlan (link/ pass search
// over the fleet's stations). The per-step values are what the agent's forecast builder reports;
// Forecast() slices them from the grid step containing `now`, as an agent would, with the battery
// state of charge the simulator measured. Immutable after Build(); const methods are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agents/orbital_power_model.h"
#include "common/status.h"
#include "common/time.h"
#include "scheduler/core/model.h"
#include "sim/fleet.h"

namespace apsis::sim {

class NodeModel {
 public:
  const core::NodeSpec& spec() const { return spec_; }
  bool orbital() const { return spec_.kind == core::NodeKind::kOrbital; }
  TimePoint start() const { return start_; }
  Duration step() const { return step_; }
  int steps() const { return static_cast<int>(available_w_.size()); }
  // Step index containing t, clamped to the covered span.
  int StepOf(TimePoint t) const;

  double available_w(int i) const { return available_w_[i]; }
  double price_usd_per_kwh(int i) const { return price_.empty() ? 0 : price_[i]; }
  double carbon_g_per_kwh(int i) const { return carbon_.empty() ? 0 : carbon_[i]; }
  double solar_w(int i) const { return solar_w_.empty() ? 0 : solar_w_[i]; }
  double sunlit(int i) const { return sunlit_.empty() ? 1 : sunlit_[i]; }
  const std::vector<ContactWindow>& windows() const { return windows_; }
  const agents::BatteryConfig& battery() const { return battery_; }
  double radiator_limit_w() const { return radiator_limit_w_; }

  // The forecast the node's agent sends at `now`: `horizon` from the grid step containing `now`,
  // windows clipped to it, battery starting at `soc_wh`.
  core::NodeForecast Forecast(TimePoint now, Duration horizon, double soc_wh) const;

 private:
  friend class FleetModel;
  core::NodeSpec spec_;
  TimePoint start_;
  Duration step_{};
  std::vector<float> available_w_, price_, carbon_, solar_w_, sunlit_;
  std::vector<ContactWindow> windows_;
  agents::BatteryConfig battery_;
  double radiator_limit_w_ = 0;
  std::map<std::string, double> latency_ms_;
};

// Every node of a fleet over [epoch, epoch + span). Built in parallel over nodes (deterministic:
// each node is computed independently); shared read-only by simulations of several policies.
class FleetModel {
 public:
  static Result<std::unique_ptr<FleetModel>> Build(const Fleet& fleet, Duration span,
                                                   int threads = 0);
  const Fleet& fleet() const { return fleet_; }
  const std::vector<NodeModel>& nodes() const { return nodes_; }  // ground first, then orbital

 private:
  Fleet fleet_;
  std::vector<NodeModel> nodes_;
};

}  // namespace apsis::sim
