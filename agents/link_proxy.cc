#include "agents/link_proxy.h"

#include "agents/orbital_power_model.h"
#include "common/log.h"
#include "transport/curve_keys.h"

namespace apsis::agents {

LinkProxy::~LinkProxy() = default;

Result<std::unique_ptr<LinkProxy>> LinkProxy::Create(boost::asio::io_context& io,
                                                     zmq::context_t& zmq, const Clock& clock,
                                                     const AgentConfig& config,
                                                     metrics::MetricRegistry& metrics,
                                                     bool insecure) {
  if (!config.orbital || !config.link_proxy) {
    return InvalidArgumentError(config.source +
                                ": apsis-link needs an orbital node with a 'link_proxy' section");
  }
  const LinkProxyConfig& lc = *config.link_proxy;
  std::unique_ptr<LinkProxy> proxy(new LinkProxy());

  transport::RouterServerOptions router_options;
  router_options.endpoint = lc.listen;
  transport::DealerClientOptions dealer_options;
  dealer_options.endpoint = lc.scheduler_endpoint;
  if (insecure) {
    LogWarn("*** INSECURE: CURVE is off on both sides of the link. Development only. ***");
  } else {
    if (lc.server_key.empty() || lc.scheduler_public_key.empty() || config.client_key.empty()) {
      return InvalidArgumentError(
          config.source +
          ": apsis-link needs link_proxy.server_key, link_proxy.scheduler_public_key and "
          "scheduler.client_key (or --insecure for local development)");
    }
    Result<transport::CurveKeyPair> own = transport::LoadCurveKeyPair(lc.server_key);
    if (!own.ok()) return own.status().WithContext("link_proxy.server_key");
    Result<transport::CurveKeyPair> agent = transport::LoadCurveKeyPair(config.client_key);
    if (!agent.ok()) return agent.status().WithContext("scheduler.client_key");
    Result<std::string> scheduler = transport::LoadCurvePublicKey(lc.scheduler_public_key);
    if (!scheduler.ok()) return scheduler.status().WithContext("link_proxy.scheduler_public_key");
    ASSIGN_OR_RETURN(proxy->zap_, transport::ZapAuthenticator::Create(io, zmq));
    proxy->zap_->SetAllowlist({{agent->public_z85, config.spec.id()}});
    router_options.curve = *own;
    dealer_options.curve = *agent;
    dealer_options.server_public_key = *scheduler;
  }

  const Duration ground_latency = Seconds(lc.ground_latency_ms / 1000.0);
  if (config.relay.mode == link::RelayMode::kAlways) {
    for (auto* availability : {&proxy->up_availability_, &proxy->down_availability_}) {
      *availability = std::make_unique<RelayAvailability>(
          config.relay.extra_latency + ground_latency, config.relay.rate_bps);
    }
  } else {
    ASSIGN_OR_RETURN(link::OrbitalElements elements,
                     ElementsFromOrbit(config.orbital->orbit, config.spec.id()));
    ASSIGN_OR_RETURN(link::Sgp4 sgp4, link::Sgp4::Create(elements));
    if (config.stations.empty()) {
      return InvalidArgumentError(config.source +
                                  ": orbital.ground_stations is empty and relay.mode is none: the "
                                  "link would never open; add stations or use relay mode always");
    }
    proxy->plan_ = std::make_unique<ContactPlan>(std::move(sgp4), config.stations);
    proxy->up_availability_ = std::make_unique<ContactWindowAvailability>(
        proxy->plan_.get(), std::vector<ContactWindow>{}, LinkDirection::kUp, ground_latency,
        lc.default_rate_bps);
    proxy->down_availability_ = std::make_unique<ContactWindowAvailability>(
        proxy->plan_.get(), std::vector<ContactWindow>{}, LinkDirection::kDown, ground_latency,
        lc.default_rate_bps);
  }

  LinkProxy* self = proxy.get();
  proxy->up_ = std::make_unique<LinkChannel>(
      io, clock, *proxy->up_availability_, lc.queue_limit,
      [self](v1::Envelope&& envelope) { self->dealer_->Send(std::move(envelope)); }, metrics,
      LinkDirection::kUp);
  proxy->down_ = std::make_unique<LinkChannel>(
      io, clock, *proxy->down_availability_, lc.queue_limit,
      [self](v1::Envelope&& envelope) {
        if (self->agent_routing_id_.empty()) {
          LogWarn("dropping a message for the agent: it has not connected yet",
                  {{"body", transport::BodyName(envelope)}});
          return;
        }
        self->router_->Send(self->agent_routing_id_, envelope);
      },
      metrics, LinkDirection::kDown);

  ASSIGN_OR_RETURN(proxy->dealer_, transport::DealerClient::Create(
                                       io, zmq, dealer_options, [self](v1::Envelope&& envelope) {
                                         self->down_->Push(std::move(envelope));
                                       }));
  ASSIGN_OR_RETURN(proxy->router_,
                   transport::RouterServer::Create(io, zmq, router_options,
                                                   [self](transport::IncomingEnvelope&& in) {
                                                     // The agent may reconnect with a new id.
                                                     self->agent_routing_id_ = in.routing_id;
                                                     self->up_->Push(std::move(in.envelope));
                                                   }));
  LogInfo("link emulator ready",
          {{"node", config.spec.id()},
           {"listen", proxy->router_->bound_endpoint()},
           {"scheduler", lc.scheduler_endpoint},
           {"mode", config.relay.mode == link::RelayMode::kAlways ? "relay" : "contact windows"},
           {"stations", Kv(config.stations.size())}});
  return proxy;
}

}  // namespace apsis::agents
