#include "agents/forecast_builder.h"

namespace apsis::agents {

void ToProto(const ContactWindow& window, v1::ContactWindow* out) {
  out->set_station(window.station);
  out->set_aos_us(window.aos.micros());
  out->set_los_us(window.los.micros());
  out->set_max_elevation_at_us(window.max_elevation_at.micros());
  out->set_max_elevation_deg(window.max_elevation_deg);
  out->set_min_range_km(window.min_range_km);
  out->set_uplink_bps(window.uplink_bps);
  out->set_downlink_bps(window.downlink_bps);
}

ForecastBuilder::ForecastBuilder(std::string node_id, ForecastOptions options, PowerModel& model,
                                 const ContactPlan* contacts,
                                 std::vector<v1::RegionLatency> latencies)
    : node_id_(std::move(node_id)),
      options_(options),
      model_(model),
      contacts_(contacts),
      latencies_(std::move(latencies)) {}

TimePoint ForecastBuilder::GridStart(TimePoint t) const {
  const int64_t step = options_.step.count();
  int64_t us = t.micros();
  int64_t floor = us / step * step;
  if (floor > us) floor -= step;
  return TimePoint::FromMicros(floor);
}

Result<v1::Forecast> ForecastBuilder::Build(TimePoint now, double job_draw_w) {
  if (options_.step.count() <= 0 || options_.horizon < options_.step) {
    return InvalidArgumentError("forecast.step must be > 0 and forecast.horizon >= forecast.step");
  }
  v1::Forecast forecast;
  const TimePoint start = GridStart(now);
  const int steps = static_cast<int>(options_.horizon / options_.step);
  forecast.set_node_id(node_id_);
  forecast.set_start_us(start.micros());
  forecast.set_step_us(options_.step.count());
  RETURN_IF_ERROR(model_.FillForecast(start, options_.step, steps, job_draw_w, &forecast));
  if (contacts_ != nullptr) {
    ASSIGN_OR_RETURN(std::vector<ContactWindow> windows,
                     contacts_->Windows(start, start + options_.step * steps));
    for (const ContactWindow& w : windows) ToProto(w, forecast.add_windows());
  }
  for (const v1::RegionLatency& latency : latencies_) *forecast.add_latencies() = latency;
  forecast.set_revision(++revision_);
  return forecast;
}

}  // namespace apsis::agents
