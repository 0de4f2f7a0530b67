// The server side of an Apsis endpoint: a ZeroMQ ROUTER socket carrying Envelopes.
//
// Each received message is [routing id, envelope bytes]. The server decodes it, answers a peer of
// another protocol major version with an UNSUPPORTED_VERSION error, drops (and counts) malformed,
// oversized and undecodable messages, and hands the rest to the handler with the peer's routing
// id and CURVE public key. With `curve` set it authenticates peers through a ZapAuthenticator on
// the same context. Not thread-safe: use on the io_context's thread.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "apsis/v1/envelope.pb.h"
#include "common/status.h"
#include "transport/curve_keys.h"
#include "transport/envelope_codec.h"
#include "transport/transport_stats.h"
#include "transport/zmq_socket_driver.h"

namespace apsis::transport {

struct RouterServerOptions {
  std::string endpoint = "tcp://*:7700";
  std::optional<CurveKeyPair> curve;  // nullopt: plaintext (development only)
  // The ZapAuthenticator allowlist that admits peers of this endpoint.
  std::string zap_domain = "apsis";
  size_t max_message_bytes = kDefaultMaxMessageBytes;
  int send_high_water_mark = 100'000;
  int receive_high_water_mark = 100'000;
  int listen_backlog = 4096;  // pending TCP connections (the kernel caps it at somaxconn)
};

struct IncomingEnvelope {
  std::string routing_id;  // opaque; pass back to Send to answer this peer
  std::string public_key;  // Z85 CURVE key of the peer; empty without CURVE
  v1::Envelope envelope;
};

class RouterServer {
 public:
  using Handler = std::function<void(IncomingEnvelope&&)>;

  static Result<std::unique_ptr<RouterServer>> Create(boost::asio::io_context& io,
                                                      zmq::context_t& context,
                                                      RouterServerOptions options, Handler handler);

  // Sends to the peer with `routing_id`. Dropped (and counted) if the peer is gone.
  void Send(const std::string& routing_id, const v1::Envelope& envelope);

  // The endpoint actually bound, with the port resolved (useful with "tcp://127.0.0.1:0").
  const std::string& bound_endpoint() const { return bound_endpoint_; }
  const TransportStats& stats() const { return stats_; }
  size_t queued() const { return driver_->queued(); }

 private:
  RouterServer() = default;
  void OnFrames(ZmqSocketDriver::Frames&& frames);

  RouterServerOptions options_;
  Handler handler_;
  std::unique_ptr<ZmqSocketDriver> driver_;
  std::string bound_endpoint_;
  TransportStats stats_;
  v1::Envelope scratch_;
};

}  // namespace apsis::transport
