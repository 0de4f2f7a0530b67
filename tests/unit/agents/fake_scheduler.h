// A scheduler stand-in for agent tests: a ROUTER socket that records what it receives and answers
// by hand.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "apsis/v1/envelope.pb.h"
#include "common/clock.h"
#include "common/time.h"
#include "transport/router_server.h"

namespace apsis::agents::testing {

class FakeScheduler {
 public:
  // With a clock, the clock time of every reception is recorded in `received_at`.
  FakeScheduler(boost::asio::io_context& io, zmq::context_t& zmq, const Clock* clock = nullptr)
      : clock_(clock) {
    transport::RouterServerOptions options;
    options.endpoint = "tcp://127.0.0.1:0";
    server_ =
        transport::RouterServer::Create(io, zmq, options, [this](transport::IncomingEnvelope&& in) {
          peer_ = in.routing_id;
          received.push_back(std::move(in.envelope));
          received_at.push_back(clock_ != nullptr ? clock_->Now() : TimePoint());
        }).value();
  }
  std::string endpoint() const { return server_->bound_endpoint(); }
  void Send(const v1::Envelope& envelope) { server_->Send(peer_, envelope); }
  void Welcome(uint64_t last_event_sequence, const std::string& node_id = "g1") {
    v1::Envelope envelope;
    envelope.mutable_welcome()->set_node_id(node_id);
    envelope.mutable_welcome()->set_heartbeat_interval_us(Seconds(10).count());
    envelope.mutable_welcome()->set_last_event_sequence(last_event_sequence);
    Send(envelope);
  }
  size_t Count(v1::Envelope::BodyCase body) const {
    size_t n = 0;
    for (const auto& e : received) n += e.body_case() == body ? 1 : 0;
    return n;
  }
  // Job events received since message `from`, deduplicated by sequence as the scheduler does
  // (the agent resends unacknowledged events), in order of first arrival.
  std::vector<v1::JobEvent> Events(size_t from = 0) const {
    std::vector<v1::JobEvent> out;
    std::set<uint64_t> seen;
    for (size_t i = from; i < received.size(); ++i) {
      if (received[i].has_job_event() && seen.insert(received[i].job_event().sequence()).second) {
        out.push_back(received[i].job_event());
      }
    }
    return out;
  }

  std::vector<v1::Envelope> received;
  std::vector<TimePoint> received_at;

 private:
  const Clock* clock_;
  std::unique_ptr<transport::RouterServer> server_;
  std::string peer_;
};

}  // namespace apsis::agents::testing
