// NodeLedger: one node's forecast plus everything already committed on it, on the step grid.
//
// The planner asks a ledger "does this job fit on [s, e)?" thousands of times per Plan(), so the
// ledger keeps flat per-step arrays (power headroom, GPUs in use, battery state of charge), block
// summaries of them (so a fit test, or the search for the next step with room, skips 32 steps
// at a time), prefix sums of price and carbon (so an energy cost is O(1)) and a counted bit set
// of battery-bound steps (so a battery-wear lower bound is O(1)). Contact-window capacity is
// tracked per window as a shared resource.
//
// Not thread-safe: owned and mutated by the engine's single planning thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "scheduler/core/model.h"

namespace apsis::core {

class NodeLedger {
 public:
  // `forecast` must have passed ValidateForecast for spec.kind.
  NodeLedger(const NodeSpec& spec, NodeForecast forecast);

  const NodeSpec& spec() const { return spec_; }
  const NodeForecast& forecast() const { return forecast_; }
  bool orbital() const { return spec_.kind == NodeKind::kOrbital; }
  int steps() const { return steps_; }
  double step_hours() const { return step_hours_; }

  // Step index helpers. FloorStep(t) is the step containing t; CeilStep(t) the first step that
  // starts at or after t. Both may lie outside [0, steps()].
  int64_t FloorStep(TimePoint t) const;
  int64_t CeilStep(TimePoint t) const;
  TimePoint TimeOfStep(int64_t i) const { return forecast_.start + forecast_.step * i; }

  // Load the node's power system sees for an IT load (× PUE on the ground).
  double NodeLoadW(double it_load_w) const;

  // First step in [s, e) where `gpus` more GPUs or `node_load_w` more watts do not fit.
  struct CapacityViolation {
    int step = 0;
    Constraint constraint = Constraint::kNone;
    double value = 0;  // GPUs or watts that would be used
    double limit = 0;
  };
  std::optional<CapacityViolation> FirstCapacityViolation(int s, int e, int gpus,
                                                          double node_load_w) const;

  // First step at or after `from` where `gpus` and `node_load_w` fit in that single step, or
  // steps() when none: where backfilling should try next after a collision.
  int NextFitStep(int from, int gpus, double node_load_w) const;

  // Fewest GPUs in use at any step of [s, e) (the count when the range is empty).
  int MinUsedGpus(int s, int e) const;

  // Σ price × step hours over [s, e) in $/kW, and Σ carbon × step hours in g/kW.
  double PriceIntegral(int s, int e) const { return price_prefix_[e] - price_prefix_[s]; }
  double CarbonIntegral(int s, int e) const { return carbon_prefix_[e] - carbon_prefix_[s]; }
  // Steps in [s, e) where the committed load already exceeds solar input, so every extra watt
  // comes from the battery (orbital; 0 on the ground).
  int BatteryBoundSteps(int s, int e) const {
    return orbital() ? BoundStepsBefore(e) - BoundStepsBefore(s) : 0;
  }

  // Simulates the battery with `it_load_w` added over [s, e), from s until the trajectory rejoins
  // the committed one. Orbital only.
  struct BatteryOutcome {
    bool ok = true;
    Constraint constraint = Constraint::kNone;
    int step = 0;                   // violating step
    double soc_wh = 0;              // state of charge after the violating step
    double draw_w = 0;              // battery draw at the violating step
    double extra_discharge_wh = 0;  // energy the job takes out of the battery
  };
  BatteryOutcome SimulateBattery(int s, int e, double it_load_w) const;

  // First step where what is already committed breaks a limit (after a forecast change):
  // GPUs, power, radiator, battery floor or discharge rate (at steps with load), or a contact
  // window carrying more than its capacity (step = the window's AOS step, window set).
  struct CommittedViolation {
    int step = 0;
    Constraint constraint = Constraint::kNone;
    int window = -1;
    std::string what;
  };
  std::optional<CommittedViolation> FirstCommittedViolation() const;

  double UplinkFreeBytes(int w) const { return up_cap_[w] - up_used_[w]; }
  double DownlinkFreeBytes(int w) const { return down_cap_[w] - down_used_[w]; }

  // Adds a reservation's load, GPUs and window usage. The reservation's times are taken as the
  // steps they overlap; steps outside the forecast are ignored.
  void Commit(const Reservation& r);
  // Forgets every commitment.
  void Clear();
  // Clear() then Commit() of each reservation, in one pass (after a forecast change or removal).
  void Rebuild(const std::vector<const Reservation*>& reservations);

  // Lower bounds that depend on the forecast only: commitments only add load, which can only
  // raise the costs they bound. The search orders nodes by them before touching a node's arrays.
  struct ForecastBounds {
    double min_price_usd_per_kwh = 0;  // over the horizon; 0 when the forecast has no prices
    double min_carbon_g_per_kwh = 0;
    // min_bound_steps[k]: fewest battery-bound steps (solar input ≤ bus load, no payload) in any
    // 2^k consecutive steps of the horizon; valid for longer spans too (orbital only).
    std::array<int32_t, 16> min_bound_steps{};
    // Contact windows (orbital): no input can be staged before the earliest LOS of any window
    // (has_windows false: none at all), and no user is served without relay for longer than the
    // longest run of windows that overlap or touch.
    bool has_windows = false;
    TimePoint earliest_los;
    Duration longest_contact{};
  };
  const ForecastBounds& forecast_bounds() const { return forecast_bounds_; }
  // Fewest battery-bound steps any `len` consecutive steps can hold, from forecast_bounds().
  static int MinBoundSteps(const ForecastBounds& b, int64_t len);

  // Round-trip latency to `region` in ms, or null when the forecast has none. A flat copy of
  // forecast().latency_ms: the search looks it up on every node, and a tree costs a cache miss per
  // level.
  const double* LatencyMs(const std::string& region) const;

  // Hints for a search that is about to read this node (no effect on results): the first asks
  // for the cache lines of the ledger's own fields that the static checks and bounds read, the
  // second (issued later, once those have arrived) for the arrays they point to around
  // `earliest` (with `whole_bound_set`, all battery-bound counts from there on, which bounds
  // over a deferrable job's start grid read). A search over hundreds of cold ledgers otherwise
  // waits for each miss in turn.
  void PrefetchFields() const;
  void PrefetchArrays(TimePoint earliest, bool whole_bound_set = false) const;

  // Bytes held by this ledger (forecast + dynamic state), for the memory benchmark.
  size_t MemoryBytes() const;

  static constexpr int kBlock = 32;

 private:
  double CapacityLimitW(int i) const;
  std::pair<int, int> AddLoad(const Reservation& r);  // arrays only; returns [s, e)
  void RefreshBlocks(int s, int e);
  void RecomputeBattery(int from);
  void ComputeForecastBounds();

  NodeSpec spec_;
  NodeForecast forecast_;
  int steps_ = 0;
  double step_hours_ = 0;
  std::vector<float> headroom_w_;   // capacity limit − committed node load, per step
  std::vector<int32_t> used_gpus_;  // per step
  std::vector<float> block_min_headroom_w_;
  std::vector<int32_t> block_max_used_gpus_;
  // The other side of each block (for NextFitStep: a block where no single step fits is skipped).
  std::vector<float> block_max_headroom_w_;
  std::vector<int32_t> block_min_used_gpus_;
  std::vector<double> price_prefix_;
  std::vector<double> carbon_prefix_;
  // Orbital only.
  std::vector<float> used_it_w_;  // committed IT load per step
  std::vector<double> soc_wh_;    // SoC at the start of each step, size steps + 1
  // Battery-bound steps as bits, 64 steps per word, each word with the count of those before it:
  // the search counts them at every start of a job's grid, and this way a count reads one 16-byte
  // entry (a node's whole set fits in 12 cache lines) instead of a spot in a 4-byte-per-step array.
  struct BoundWord {
    uint64_t bits = 0;   // bit j: step 64·k + j is battery-bound
    int32_t before = 0;  // battery-bound steps before step 64·k
  };
  std::vector<BoundWord> bound_words_;  // steps / 64 + 1 words (the last may hold no step)
  int BoundStepsBefore(int i) const {
    const BoundWord& w = bound_words_[size_t(i) >> 6];
    return w.before + CountBits(w.bits & ((uint64_t(1) << (i & 63)) - 1));
  }
  // std::popcount is a library call unless the target has a popcount instruction (the build
  // does not assume one); the search counts bits at every start of a job's grid, so inline.
  static int CountBits(uint64_t x) {
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return int((x * 0x0101010101010101ULL) >> 56);
  }
  std::vector<double> up_cap_, up_used_, down_cap_, down_used_;  // bytes per window
  ForecastBounds forecast_bounds_;
  std::vector<std::pair<std::string, double>> latency_ms_;  // forecast_.latency_ms, flat
};

}  // namespace apsis::core
