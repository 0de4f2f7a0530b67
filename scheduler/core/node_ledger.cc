#include "scheduler/core/node_ledger.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace apsis::core {

namespace {
// The planner keeps a small safety margin so that the independent checker, which sums in a
// different order and in double precision, never sees a plan as over the limit.
constexpr double kPowerMarginW = 0.01;
}  // namespace

NodeLedger::NodeLedger(const NodeSpec& spec, NodeForecast forecast)
    : spec_(spec), forecast_(std::move(forecast)) {
  steps_ = forecast_.steps();
  step_hours_ = ToSeconds(forecast_.step) / 3600.0;
  price_prefix_.assign(steps_ + 1, 0.0);
  carbon_prefix_.assign(steps_ + 1, 0.0);
  for (int i = 0; i < steps_; ++i) {
    const double p = forecast_.price_usd_per_kwh.empty() ? 0.0 : forecast_.price_usd_per_kwh[i];
    const double c = forecast_.carbon_g_per_kwh.empty() ? 0.0 : forecast_.carbon_g_per_kwh[i];
    price_prefix_[i + 1] = price_prefix_[i] + p * step_hours_;
    carbon_prefix_[i + 1] = carbon_prefix_[i] + c * step_hours_;
  }
  const size_t nw = forecast_.windows.size();
  up_cap_.resize(nw);
  down_cap_.resize(nw);
  for (size_t w = 0; w < nw; ++w) {
    const ContactWindow& cw = forecast_.windows[w];
    up_cap_[w] = ToSeconds(cw.duration()) * cw.uplink_bps / 8.0;
    down_cap_[w] = ToSeconds(cw.duration()) * cw.downlink_bps / 8.0;
  }
  latency_ms_.assign(forecast_.latency_ms.begin(), forecast_.latency_ms.end());
  ComputeForecastBounds();
  Clear();
}

const double* NodeLedger::LatencyMs(const std::string& region) const {
  for (const auto& [r, ms] : latency_ms_) {
    if (r == region) return &ms;
  }
  return nullptr;
}

void NodeLedger::PrefetchFields() const {
  auto fetch = [](const auto& field) { __builtin_prefetch(&field); };
  fetch(spec_.gpu_type);
  fetch(spec_.id);
  fetch(spec_.relay);
  fetch(forecast_.start);
  fetch(forecast_.windows);
  fetch(forecast_.battery);
  fetch(steps_);
  fetch(price_prefix_);
  fetch(bound_words_);
  fetch(up_used_);
  fetch(latency_ms_);
}

void NodeLedger::PrefetchArrays(TimePoint earliest, bool whole_bound_set) const {
  if (!latency_ms_.empty()) __builtin_prefetch(latency_ms_.data());
  const int64_t s = std::clamp<int64_t>(CeilStep(earliest), 0, steps_);
  if (orbital()) {
    const char* w = reinterpret_cast<const char*>(&bound_words_[size_t(s) >> 6]);
    const size_t bytes =
        whole_bound_set ? (bound_words_.size() - (size_t(s) >> 6)) * sizeof(BoundWord) : 1;
    for (size_t off = 0; off < bytes; off += 64) __builtin_prefetch(w + off);
    if (!forecast_.windows.empty()) {
      __builtin_prefetch(forecast_.windows.data() + forecast_.windows.size() / 2);
      __builtin_prefetch(up_used_.data());
      __builtin_prefetch(up_cap_.data());
    }
  } else {
    __builtin_prefetch(&price_prefix_[size_t(s)]);
    __builtin_prefetch(&carbon_prefix_[size_t(s)]);
  }
}

void NodeLedger::ComputeForecastBounds() {
  ForecastBounds& b = forecast_bounds_;
  auto min_of = [](const std::vector<float>& v) {
    return v.empty() ? 0.0 : double(*std::min_element(v.begin(), v.end()));
  };
  b.min_price_usd_per_kwh = min_of(forecast_.price_usd_per_kwh);
  b.min_carbon_g_per_kwh = min_of(forecast_.carbon_g_per_kwh);
  if (!orbital()) return;
  // Merged in AOS order as the relay-less contact check walks them.
  const std::vector<ContactWindow>& windows = forecast_.windows;
  b.has_windows = !windows.empty();
  for (size_t w = 0; w < windows.size();) {
    TimePoint from = windows[w].aos, to = windows[w].los;
    b.earliest_los = w == 0 ? to : std::min(b.earliest_los, to);
    for (++w; w < windows.size() && windows[w].aos <= to; ++w) {
      b.earliest_los = std::min(b.earliest_los, windows[w].los);
      to = std::max(to, windows[w].los);
    }
    b.longest_contact = std::max(b.longest_contact, to - from);
  }
  // Same test as RecomputeBattery with nothing committed.
  std::vector<int32_t> prefix(steps_ + 1, 0);
  for (int i = 0; i < steps_; ++i) {
    const double net = double(forecast_.solar_input_w[i]) - spec_.bus_load_w - 0.0f;
    prefix[i + 1] = prefix[i] + (net <= 0 ? 1 : 0);
  }
  for (size_t k = 0; k < b.min_bound_steps.size(); ++k) {
    const int len = 1 << k;
    if (len > steps_) {
      b.min_bound_steps[k] = k == 0 ? 0 : b.min_bound_steps[k - 1];
      continue;
    }
    int32_t m = prefix[len];
    for (int s = 1; s + len <= steps_; ++s) m = std::min(m, prefix[s + len] - prefix[s]);
    b.min_bound_steps[k] = m;
  }
}

int NodeLedger::MinBoundSteps(const ForecastBounds& b, int64_t len) {
  if (len <= 0) return 0;
  int k = 0;
  while (k + 1 < int(b.min_bound_steps.size()) && (int64_t(1) << (k + 1)) <= len) ++k;
  return b.min_bound_steps[k];
}

void NodeLedger::Clear() { Rebuild({}); }

void NodeLedger::Rebuild(const std::vector<const Reservation*>& reservations) {
  headroom_w_.resize(steps_);
  for (int i = 0; i < steps_; ++i) headroom_w_[i] = static_cast<float>(CapacityLimitW(i));
  used_gpus_.assign(steps_, 0);
  const int blocks = (steps_ + kBlock - 1) / kBlock;
  block_min_headroom_w_.assign(blocks, 0.0f);
  block_max_used_gpus_.assign(blocks, 0);
  block_max_headroom_w_.assign(blocks, 0.0f);
  block_min_used_gpus_.assign(blocks, 0);
  up_used_.assign(up_cap_.size(), 0.0);
  down_used_.assign(down_cap_.size(), 0.0);
  if (orbital()) {
    used_it_w_.assign(steps_, 0.0f);
    soc_wh_.assign(steps_ + 1, forecast_.battery.initial_soc_wh);
    bound_words_.assign(size_t(steps_) / 64 + 1, BoundWord{});
  }
  // One pass over the arrays for all reservations, then one refresh of the derived state.
  for (const Reservation* r : reservations) AddLoad(*r);
  RefreshBlocks(0, steps_);
  if (orbital()) RecomputeBattery(0);
}

double NodeLedger::CapacityLimitW(int i) const {
  double limit = forecast_.power_available_w[i];
  if (orbital()) limit = std::min(limit, forecast_.radiator_limit_w[i] - spec_.bus_load_w);
  return limit;
}

int64_t NodeLedger::FloorStep(TimePoint t) const {
  const int64_t d = (t - forecast_.start).count();
  const int64_t st = forecast_.step.count();
  return d >= 0 ? d / st : -((-d + st - 1) / st);
}

int64_t NodeLedger::CeilStep(TimePoint t) const {
  const int64_t d = (t - forecast_.start).count();
  const int64_t st = forecast_.step.count();
  return d >= 0 ? (d + st - 1) / st : -((-d) / st);
}

double NodeLedger::NodeLoadW(double it_load_w) const {
  return orbital() ? it_load_w : it_load_w * spec_.pue;
}

void NodeLedger::RefreshBlocks(int s, int e) {
  if (s >= e) return;
  for (int b = s / kBlock; b * kBlock < e; ++b) {
    const int lo = b * kBlock, hi = std::min(steps_, lo + kBlock);
    float mn = std::numeric_limits<float>::infinity();
    float mx_headroom = -std::numeric_limits<float>::infinity();
    int32_t mx = 0;
    int32_t mn_used = std::numeric_limits<int32_t>::max();
    for (int i = lo; i < hi; ++i) {
      mn = std::min(mn, headroom_w_[i]);
      mx_headroom = std::max(mx_headroom, headroom_w_[i]);
      mx = std::max(mx, used_gpus_[i]);
      mn_used = std::min(mn_used, used_gpus_[i]);
    }
    block_min_headroom_w_[b] = mn;
    block_max_used_gpus_[b] = mx;
    block_max_headroom_w_[b] = mx_headroom;
    block_min_used_gpus_[b] = mn_used;
  }
}

std::optional<NodeLedger::CapacityViolation> NodeLedger::FirstCapacityViolation(
    int s, int e, int gpus, double node_load_w) const {
  const int free_gpus = spec_.gpu_count - gpus;
  const double need = node_load_w + kPowerMarginW;
  int i = s;
  while (i < e) {
    if (i % kBlock == 0 && i + kBlock <= e) {
      const int b = i / kBlock;
      if (block_max_used_gpus_[b] <= free_gpus && block_min_headroom_w_[b] >= need) {
        i += kBlock;
        continue;
      }
    }
    if (used_gpus_[i] > free_gpus) {
      return CapacityViolation{i, Constraint::kGpusBusy, double(used_gpus_[i] + gpus),
                               double(spec_.gpu_count)};
    }
    if (headroom_w_[i] < need) {
      const double used = CapacityLimitW(i) - headroom_w_[i];
      Constraint c = Constraint::kPower;
      double limit = forecast_.power_available_w[i];
      if (orbital() && forecast_.radiator_limit_w[i] - spec_.bus_load_w < limit) {
        c = Constraint::kRadiator;
        limit = forecast_.radiator_limit_w[i];
        return CapacityViolation{i, c, used + node_load_w + spec_.bus_load_w, limit};
      }
      return CapacityViolation{i, c, used + node_load_w, limit};
    }
    ++i;
  }
  return std::nullopt;
}

int NodeLedger::MinUsedGpus(int s, int e) const {
  int m = spec_.gpu_count;
  for (int i = std::max(0, s); i < std::min(e, steps_); ++i) m = std::min(m, used_gpus_[i]);
  return m;
}

int NodeLedger::NextFitStep(int from, int gpus, double node_load_w) const {
  const int free_gpus = spec_.gpu_count - gpus;
  const float need = static_cast<float>(node_load_w + kPowerMarginW);
  for (int i = std::max(0, from); i < steps_; ++i) {
    const int b = i / kBlock;
    if (block_min_used_gpus_[b] > free_gpus || block_max_headroom_w_[b] < need) {
      i = (b + 1) * kBlock - 1;  // no step of this block has room
      continue;
    }
    if (used_gpus_[i] <= free_gpus && headroom_w_[i] >= need) return i;
  }
  return steps_;
}

void NodeLedger::RecomputeBattery(int from) {
  const BatteryForecast& b = forecast_.battery;
  const double max_charge = b.max_charge_w > 0 ? b.max_charge_w : 1e300;
  double soc = soc_wh_[from];
  for (int i = from; i < steps_; ++i) {
    const double net = double(forecast_.solar_input_w[i]) - spec_.bus_load_w - used_it_w_[i];
    if (net > 0) {
      soc = std::min(b.capacity_wh,
                     soc + std::min(net, max_charge) * b.charge_efficiency * step_hours_);
    } else {
      soc -= (-net) / b.discharge_efficiency * step_hours_;
    }
    soc_wh_[i + 1] = soc;
    const uint64_t bit = uint64_t(1) << (i & 63);
    uint64_t& bits = bound_words_[size_t(i) >> 6].bits;
    bits = net <= 0 ? bits | bit : bits & ~bit;
  }
  for (size_t k = size_t(from) / 64 + 1; k < bound_words_.size(); ++k) {
    bound_words_[k].before = bound_words_[k - 1].before + CountBits(bound_words_[k - 1].bits);
  }
}

NodeLedger::BatteryOutcome NodeLedger::SimulateBattery(int s, int e, double it_load_w) const {
  BatteryOutcome out;
  const BatteryForecast& b = forecast_.battery;
  const double max_charge = b.max_charge_w > 0 ? b.max_charge_w : 1e300;
  // Planner-side margin: stay a hair above the floor so the checker's re-simulation agrees.
  const double floor_wh = b.capacity_wh * b.floor_fraction + 1e-6 * b.capacity_wh + 1e-3;
  double soc = soc_wh_[s];
  for (int i = s; i < steps_; ++i) {
    const double add = i < e ? it_load_w : 0.0;
    const double base_net = double(forecast_.solar_input_w[i]) - spec_.bus_load_w - used_it_w_[i];
    const double net = base_net - add;
    if (net > 0) {
      soc = std::min(b.capacity_wh,
                     soc + std::min(net, max_charge) * b.charge_efficiency * step_hours_);
    } else {
      const double draw = -net;
      if (b.max_discharge_w > 0 && draw > b.max_discharge_w - 1e-6 && add > 0) {
        out.ok = false;
        out.constraint = Constraint::kBatteryDischarge;
        out.step = i;
        out.soc_wh = soc;
        out.draw_w = draw;
        return out;
      }
      soc -= draw / b.discharge_efficiency * step_hours_;
    }
    if (i < e) {
      out.extra_discharge_wh +=
          (std::max(0.0, -net) - std::max(0.0, -base_net)) / b.discharge_efficiency * step_hours_;
    }
    const bool loaded = used_it_w_[i] > 0 || add > 0;
    if (loaded && soc < floor_wh) {
      out.ok = false;
      out.constraint = Constraint::kBatteryFloor;
      out.step = i;
      out.soc_wh = soc;
      out.draw_w = std::max(0.0, -net);
      return out;
    }
    // Once the state of charge is back on the committed trajectory (clipped at capacity), the
    // rest of the horizon is what the ledger already validated.
    if (i >= e - 1 && soc >= soc_wh_[i + 1] - 1e-9) break;
  }
  return out;
}

std::pair<int, int> NodeLedger::AddLoad(const Reservation& r) {
  const int s = static_cast<int>(std::clamp<int64_t>(FloorStep(r.start), 0, steps_));
  const int e = static_cast<int>(std::clamp<int64_t>(CeilStep(r.end), 0, steps_));
  const float node_load = static_cast<float>(NodeLoadW(r.it_load_w));
  for (int i = s; i < e; ++i) {
    headroom_w_[i] -= node_load;
    used_gpus_[i] += r.gpus;
  }
  if (orbital()) {
    for (int i = s; i < e; ++i) used_it_w_[i] += static_cast<float>(r.it_load_w);
  }
  for (const TransferAllocation& t : r.transfers) {
    if (t.window_index < 0 || t.window_index >= static_cast<int>(up_cap_.size())) continue;
    if (t.direction == TransferDirection::kUplink) {
      up_used_[t.window_index] += t.bytes;
    } else {
      down_used_[t.window_index] += t.bytes;
    }
  }
  return {s, e};
}

void NodeLedger::Commit(const Reservation& r) {
  const auto [s, e] = AddLoad(r);
  RefreshBlocks(s, e);
  if (orbital() && s < e) RecomputeBattery(s);
}

std::optional<NodeLedger::CommittedViolation> NodeLedger::FirstCommittedViolation() const {
  std::optional<CommittedViolation> first;
  auto note = [&](int step, Constraint c, int window, const std::string& what) {
    if (!first || step < first->step) {
      first = CommittedViolation{step, c, window, what + " at " + FormatRfc3339(TimeOfStep(step))};
    }
  };
  for (int i = 0; i < steps_; ++i) {
    if (used_gpus_[i] > spec_.gpu_count) {
      note(i, Constraint::kGpusBusy, -1, "GPUs over-committed");
      break;
    }
    if (headroom_w_[i] < -kPowerMarginW) {
      const bool radiator = orbital() && forecast_.radiator_limit_w[i] - spec_.bus_load_w <
                                             forecast_.power_available_w[i];
      note(i, radiator ? Constraint::kRadiator : Constraint::kPower, -1,
           radiator ? "radiator limit exceeded" : "power limit exceeded");
      break;
    }
  }
  if (orbital()) {
    const BatteryForecast& b = forecast_.battery;
    const double floor_wh = b.capacity_wh * b.floor_fraction;
    for (int i = 0; i < steps_ && (!first || i < first->step); ++i) {
      if (used_it_w_[i] <= 0) continue;
      const double net = double(forecast_.solar_input_w[i]) - spec_.bus_load_w - used_it_w_[i];
      if (b.max_discharge_w > 0 && -net > b.max_discharge_w) {
        note(i, Constraint::kBatteryDischarge, -1, "battery discharge limit exceeded");
        break;
      }
      if (soc_wh_[i + 1] < floor_wh) {
        note(i, Constraint::kBatteryFloor, -1,
             "battery below floor " + std::to_string(int(std::lround(b.floor_fraction * 100))) +
                 " %");
        if (first->step == i)
          first->what += forecast_.solar_input_w[i] <= 0 ? " during eclipse" : " in sunlight";
        break;
      }
    }
  }
  for (size_t w = 0; w < up_cap_.size(); ++w) {
    if (up_used_[w] > up_cap_[w] + 1.0 || down_used_[w] > down_cap_[w] + 1.0) {
      const int step = int(std::clamp<int64_t>(FloorStep(forecast_.windows[w].aos), 0, steps_ - 1));
      note(step, up_used_[w] > up_cap_[w] + 1.0 ? Constraint::kUplink : Constraint::kDownlink,
           int(w), "contact window " + forecast_.windows[w].station + " over capacity");
    }
  }
  return first;
}

size_t NodeLedger::MemoryBytes() const {
  auto bytes = [](const auto& v) { return v.capacity() * sizeof(v[0]); };
  size_t n = sizeof(*this);
  n += bytes(forecast_.power_available_w) + bytes(forecast_.price_usd_per_kwh) +
       bytes(forecast_.carbon_g_per_kwh) + bytes(forecast_.solar_input_w) +
       bytes(forecast_.sunlit_fraction) + bytes(forecast_.radiator_limit_w) +
       forecast_.windows.capacity() * sizeof(ContactWindow);
  n += bytes(headroom_w_) + bytes(used_gpus_) + bytes(block_min_headroom_w_) +
       bytes(block_max_used_gpus_) + bytes(block_max_headroom_w_) + bytes(block_min_used_gpus_) +
       bytes(price_prefix_) + bytes(carbon_prefix_) + bytes(used_it_w_) + bytes(soc_wh_) +
       bytes(bound_words_) + bytes(up_cap_) + bytes(up_used_) + bytes(down_cap_) +
       bytes(down_used_);
  return n;
}

}  // namespace apsis::core
