// LinkProxy: apsis-link, a ZeroMQ proxy that makes the agent ↔ scheduler channel of an emulated
// orbital node behave like its space link.
//
// The agent connects to the proxy's ROUTER (`link_proxy.listen`); the proxy connects to the
// scheduler with the agent's own key pair, so the scheduler sees the node exactly as if it were
// connected directly. Each direction is a LinkChannel over the node's contact windows (computed
// with link/ from the same orbit and ground stations the agent uses) or, in relay mode, over an
// always-open relay: traffic flows only while the link is open, delayed by the one-way light time
// plus the terrestrial latency and limited to the window's data rate, and waits in a bounded queue
// otherwise. Runs on one io_context thread with the same Clock as the agent (scaled in emulations).
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <zmq.hpp>

#include "agents/agent_config.h"
#include "agents/contact_plan.h"
#include "agents/link_channel.h"
#include "metrics/metrics.h"
#include "transport/dealer_client.h"
#include "transport/router_server.h"
#include "transport/zap_authenticator.h"

namespace apsis::agents {

class LinkProxy {
 public:
  // Needs an orbital node config with a `link_proxy` section. `insecure`: plaintext both ways.
  static Result<std::unique_ptr<LinkProxy>> Create(boost::asio::io_context& io, zmq::context_t& zmq,
                                                   const Clock& clock, const AgentConfig& config,
                                                   metrics::MetricRegistry& metrics, bool insecure);
  ~LinkProxy();

  const std::string& listen_endpoint() const { return router_->bound_endpoint(); }
  const LinkChannel& up() const { return *up_; }
  const LinkChannel& down() const { return *down_; }

 private:
  LinkProxy() = default;

  std::unique_ptr<ContactPlan> plan_;
  std::unique_ptr<LinkAvailability> up_availability_;
  std::unique_ptr<LinkAvailability> down_availability_;
  std::unique_ptr<LinkChannel> up_;
  std::unique_ptr<LinkChannel> down_;
  std::unique_ptr<transport::ZapAuthenticator> zap_;
  std::unique_ptr<transport::RouterServer> router_;
  std::unique_ptr<transport::DealerClient> dealer_;
  std::string agent_routing_id_;
};

}  // namespace apsis::agents
