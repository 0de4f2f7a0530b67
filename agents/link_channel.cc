#include "agents/link_channel.h"

#include <algorithm>

#include "common/log.h"
#include "link/link_model.h"

namespace apsis::agents {
namespace {

// Messages that carry a complete state: a newer one makes a queued one worthless.
bool Supersedes(const v1::Envelope& envelope) {
  return envelope.has_heartbeat() || envelope.has_forecast() || envelope.has_hello();
}

std::string DirectionName(LinkDirection d) { return d == LinkDirection::kUp ? "up" : "down"; }

}  // namespace

ContactWindowAvailability::ContactWindowAvailability(const ContactPlan* plan,
                                                     std::vector<ContactWindow> windows,
                                                     LinkDirection direction,
                                                     Duration ground_latency,
                                                     double default_rate_bps)
    : plan_(plan),
      windows_(std::move(windows)),
      direction_(direction),
      ground_latency_(ground_latency),
      default_rate_bps_(default_rate_bps) {}

void ContactWindowAvailability::Refresh(TimePoint t) {
  if (plan_ == nullptr || t + Hours(6) < computed_until_) return;
  const TimePoint end = t + Hours(24);
  Result<std::vector<ContactWindow>> windows = plan_->Windows(t - Hours(1), end);
  if (!windows.ok()) {
    LogError("cannot compute contact windows", {{"error", windows.status().message()}});
    computed_until_ = t + Minutes(10);  // retry soon rather than on every message
    return;
  }
  windows_ = std::move(*windows);
  computed_until_ = end;
}

LinkState ContactWindowAvailability::At(TimePoint t) {
  Refresh(t);
  LinkState state;
  const ContactWindow* best = nullptr;
  std::optional<TimePoint> next_aos;
  for (const ContactWindow& w : windows_) {
    const double rate = direction_ == LinkDirection::kUp ? w.downlink_bps : w.uplink_bps;
    if (w.Contains(t)) {
      const double best_rate = best == nullptr                    ? -1
                               : direction_ == LinkDirection::kUp ? best->downlink_bps
                                                                  : best->uplink_bps;
      if (best == nullptr || rate > best_rate) best = &w;
    } else if (w.aos > t && (!next_aos || w.aos < *next_aos)) {
      next_aos = w.aos;
    }
  }
  if (best == nullptr) {
    state.open = false;
    state.opens_again = next_aos.has_value();
    if (next_aos) state.until = *next_aos;
    return state;
  }
  state.open = true;
  // Overlapping windows keep the link open until the last of them closes.
  state.until = best->los;
  for (const ContactWindow& w : windows_) {
    if (w.aos <= state.until && w.los > state.until) state.until = w.los;
  }
  const double rate = direction_ == LinkDirection::kUp ? best->downlink_bps : best->uplink_bps;
  state.rate_bps = rate > 0 ? rate : default_rate_bps_;
  double range_km = best->min_range_km;
  if (plan_ != nullptr) {
    if (Result<double> live = plan_->RangeKm(best->station, t); live.ok()) range_km = *live;
  }
  state.delay = link::OneWayLightTime(range_km) + ground_latency_;
  return state;
}

LinkState RelayAvailability::At(TimePoint t) {
  LinkState state;
  state.open = true;
  state.until = TimePoint::FromMicros(INT64_MAX / 2);
  state.rate_bps = rate_bps_;
  state.delay = latency_;
  return state;
}

LinkChannel::LinkChannel(boost::asio::io_context& io, const Clock& clock,
                         LinkAvailability& availability, size_t queue_limit, Deliver deliver,
                         metrics::MetricRegistry& metrics, LinkDirection direction)
    : clock_(clock),
      availability_(availability),
      queue_limit_(queue_limit),
      deliver_(std::move(deliver)),
      pump_timer_(io, clock),
      delivery_timer_(io, clock),
      queued_gauge_(metrics.GetGauge("apsis_link_queued_messages",
                                     "Messages waiting for the link to open or for bandwidth",
                                     {{"direction", DirectionName(direction)}})),
      open_gauge_(metrics.GetGauge("apsis_link_open", "1 while the emulated link is open",
                                   {{"direction", DirectionName(direction)}})),
      forwarded_counter_(metrics.GetCounter("apsis_link_forwarded_total",
                                            "Messages delivered across the link",
                                            {{"direction", DirectionName(direction)}})),
      superseded_counter_(metrics.GetCounter(
          "apsis_link_superseded_total", "Queued messages replaced by a newer one of their kind",
          {{"direction", DirectionName(direction)}})),
      dropped_counter_(metrics.GetCounter("apsis_link_dropped_total",
                                          "Messages dropped because the queue was full",
                                          {{"direction", DirectionName(direction)}})),
      bytes_counter_(metrics.GetCounter("apsis_link_bytes_total", "Bytes sent across the link",
                                        {{"direction", DirectionName(direction)}})) {}

LinkChannel::~LinkChannel() = default;

void LinkChannel::Push(v1::Envelope envelope) {
  if (Supersedes(envelope)) {
    auto same = std::find_if(queue_.begin(), queue_.end(), [&](const Queued& q) {
      return q.envelope.body_case() == envelope.body_case();
    });
    if (same != queue_.end()) {
      queue_.erase(same);
      superseded_++;
      superseded_counter_.Increment();
    }
  }
  if (queue_.size() >= queue_limit_) {
    // Make room by dropping the oldest message that may be dropped; job events never are.
    auto victim = std::find_if(queue_.begin(), queue_.end(),
                               [](const Queued& q) { return !q.envelope.has_job_event(); });
    if (victim != queue_.end()) {
      queue_.erase(victim);
      dropped_++;
      dropped_counter_.Increment();
    } else if (!envelope.has_job_event()) {
      dropped_++;
      dropped_counter_.Increment();
      UpdateGauges();
      return;
    }
  }
  Queued queued;
  queued.bytes = envelope.ByteSizeLong();
  queued.envelope = std::move(envelope);
  queue_.push_back(std::move(queued));
  UpdateGauges();
  Pump();
}

void LinkChannel::Pump() {
  const TimePoint now = clock_.Now();
  while (!queue_.empty()) {
    const TimePoint start = std::max(now, busy_until_);
    if (start > now) {
      // The transmitter is busy: come back when it is free.
      pump_timer_.WaitUntil(start, [this]() { Pump(); });
      break;
    }
    const LinkState state = availability_.At(now);
    open_gauge_.Set(state.open ? 1 : 0);
    if (!state.open) {
      if (state.opens_again) pump_timer_.WaitUntil(state.until, [this]() { Pump(); });
      break;
    }
    Queued& next = queue_.front();
    const Duration transmit = Seconds(static_cast<double>(next.bytes) * 8.0 / state.rate_bps);
    if (now + transmit > state.until) {
      // Would not finish before LOS: wait for the next window.
      pump_timer_.WaitUntil(state.until + Duration(1), [this]() { Pump(); });
      break;
    }
    busy_until_ = now + transmit;
    TimePoint arrival = busy_until_ + state.delay;
    arrival = std::max(arrival, last_arrival_);  // a shrinking range must not reorder messages
    last_arrival_ = arrival;
    bytes_counter_.Increment(static_cast<double>(next.bytes));
    in_flight_.push_back({arrival, std::move(next.envelope)});
    queue_.pop_front();
    ArmDelivery();
  }
  UpdateGauges();
}

void LinkChannel::ArmDelivery() {
  if (in_flight_.empty()) return;
  delivery_timer_.WaitUntil(in_flight_.front().arrival, [this]() {
    const TimePoint now = clock_.Now();
    while (!in_flight_.empty() && in_flight_.front().arrival <= now) {
      v1::Envelope envelope = std::move(in_flight_.front().envelope);
      in_flight_.pop_front();
      forwarded_++;
      forwarded_counter_.Increment();
      deliver_(std::move(envelope));
    }
    ArmDelivery();
  });
}

void LinkChannel::UpdateGauges() { queued_gauge_.Set(static_cast<double>(queue_.size())); }

}  // namespace apsis::agents
