// PowerModel: what a node's energy supply looks like, now and over a forecast horizon.
//
// The ground model (grid, PUE, price, carbon, on-site solar) and the orbital model (solar array,
// eclipses, battery, bus load, radiator) share this interface so the forecast builder and the agent
// treat both kinds of node alike. Implementations are used from the agent's loop thread only.
#pragma once

#include "apsis/v1/common.pb.h"
#include "common/status.h"
#include "common/time.h"

namespace apsis::agents {

class PowerModel {
 public:
  virtual ~PowerModel() = default;

  // Appends `steps` PowerSteps starting at `start`, `step` apart, to `out`, and fills the node's
  // battery and radiator fields when it has them. `job_draw_w` is the draw of the jobs running now,
  // assumed to continue (the orbital model simulates its battery forward with it).
  virtual Status FillForecast(TimePoint start, Duration step, int steps, double job_draw_w,
                              v1::Forecast* out) = 0;

  // Advances the measured state (battery) to `now`, the jobs having drawn `job_draw_w` since the
  // previous call.
  virtual void Integrate(TimePoint now, double job_draw_w) = 0;

  // Measured battery state of charge (Wh); 0 for nodes without a battery.
  virtual double BatterySocWh() const { return 0; }
  // What the last forecast predicted the state of charge would be at `t` (nullopt: no battery or
  // `t` outside the last forecast).
  virtual std::optional<double> PredictedSocWh(TimePoint /*t*/) const { return std::nullopt; }
  // Electrical power available to jobs at `t` (W), before the battery.
  virtual double AvailableW(TimePoint t) const = 0;
};

}  // namespace apsis::agents
