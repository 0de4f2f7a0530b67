// The space-link emulation of apsis-link: when a link is open, how fast and how delayed it is, and
// a one-direction channel that queues messages and releases them the way a space link would.
//
// LinkAvailability answers "what is the link like at time t": open or not, until when, at what
// data rate and with what one-way delay. ContactWindowAvailability opens only inside contact
// windows (delay = light time over the current slant range to the window's station + terrestrial
// latency; rate = the window's rate for the direction); RelayAvailability is always open with the
// relay's latency and rate.
//
// LinkChannel carries messages of one direction: while the link is closed they wait in a bounded
// queue where a newer heartbeat, forecast or hello replaces a queued one of the same kind (only
// the latest state matters), other messages are dropped oldest-first when the queue is full, and
// job events are never dropped. While open, messages are sent one after another at the link's data
// rate (a message that would not finish before LOS waits for the next window) and delivered after
// the one-way delay, in order. Runs on one io_context thread with ClockTimers on the shared Clock.
#pragma once

#include <boost/asio/io_context.hpp>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agents/contact_plan.h"
#include "apsis/v1/envelope.pb.h"
#include "common/clock.h"
#include "common/clock_timer.h"
#include "link/contact_window.h"
#include "metrics/metrics.h"

namespace apsis::agents {

enum class LinkDirection { kUp, kDown };  // up: agent → scheduler (space → ground)

struct LinkState {
  bool open = false;
  TimePoint until;           // open: when it closes; closed: when it next opens
  bool opens_again = false;  // closed: whether `until` is a known next opening
  double rate_bps = 0;       // open: data rate
  Duration delay{};          // open: one-way delay of a message sent now
};

class LinkAvailability {
 public:
  virtual ~LinkAvailability() = default;
  virtual LinkState At(TimePoint t) = 0;
};

class ContactWindowAvailability final : public LinkAvailability {
 public:
  // With a plan, windows are computed (and refreshed) from it and delays use the live slant range;
  // without one, the given windows are used as they are with the light time at their minimum range.
  ContactWindowAvailability(const ContactPlan* plan, std::vector<ContactWindow> windows,
                            LinkDirection direction, Duration ground_latency,
                            double default_rate_bps);
  LinkState At(TimePoint t) override;

 private:
  void Refresh(TimePoint t);
  const ContactPlan* plan_;
  std::vector<ContactWindow> windows_;
  TimePoint computed_until_;
  LinkDirection direction_;
  Duration ground_latency_;
  double default_rate_bps_;
};

class RelayAvailability final : public LinkAvailability {
 public:
  RelayAvailability(Duration latency, double rate_bps) : latency_(latency), rate_bps_(rate_bps) {}
  LinkState At(TimePoint t) override;

 private:
  Duration latency_;
  double rate_bps_;
};

class LinkChannel {
 public:
  using Deliver = std::function<void(v1::Envelope&&)>;

  LinkChannel(boost::asio::io_context& io, const Clock& clock, LinkAvailability& availability,
              size_t queue_limit, Deliver deliver, metrics::MetricRegistry& metrics,
              LinkDirection direction);
  ~LinkChannel();

  void Push(v1::Envelope envelope);

  size_t queued() const { return queue_.size(); }
  uint64_t forwarded() const { return forwarded_; }
  uint64_t superseded() const { return superseded_; }
  uint64_t dropped() const { return dropped_; }

 private:
  struct Queued {
    v1::Envelope envelope;
    size_t bytes = 0;
  };
  struct InFlight {
    TimePoint arrival;
    v1::Envelope envelope;
  };
  void Pump();
  void ArmDelivery();
  void UpdateGauges();

  const Clock& clock_;
  LinkAvailability& availability_;
  size_t queue_limit_;
  Deliver deliver_;
  std::deque<Queued> queue_;
  std::deque<InFlight> in_flight_;
  TimePoint busy_until_;
  TimePoint last_arrival_;
  ClockTimer pump_timer_;
  ClockTimer delivery_timer_;
  uint64_t forwarded_ = 0;
  uint64_t superseded_ = 0;
  uint64_t dropped_ = 0;
  metrics::Gauge& queued_gauge_;
  metrics::Gauge& open_gauge_;
  metrics::Counter& forwarded_counter_;
  metrics::Counter& superseded_counter_;
  metrics::Counter& dropped_counter_;
  metrics::Counter& bytes_counter_;
};

}  // namespace apsis::agents
