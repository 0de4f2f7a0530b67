#include "transport/router_server.h"

#include "common/log.h"

namespace apsis::transport {

Result<std::unique_ptr<RouterServer>> RouterServer::Create(boost::asio::io_context& io,
                                                           zmq::context_t& context,
                                                           RouterServerOptions options,
                                                           Handler handler) {
  std::unique_ptr<RouterServer> server(new RouterServer());
  server->options_ = std::move(options);
  server->handler_ = std::move(handler);
  try {
    zmq::socket_t socket(context, zmq::socket_type::router);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::sndhwm, server->options_.send_high_water_mark);
    socket.set(zmq::sockopt::rcvhwm, server->options_.receive_high_water_mark);
    // Thousands of agents reconnecting at once (after a network cut or a restart) overflow
    // ZeroMQ's default listen backlog of 100, and every refused SYN costs its peer a 1 s retry.
    socket.set(zmq::sockopt::backlog, server->options_.listen_backlog);
    // libzmq drops the connection of a peer that sends a larger frame; the frame is never read.
    socket.set(zmq::sockopt::maxmsgsize,
               static_cast<int64_t>(server->options_.max_message_bytes) + 1024);
    if (server->options_.curve) {
      socket.set(zmq::sockopt::curve_server, true);
      socket.set(zmq::sockopt::curve_secretkey, server->options_.curve->secret_z85);
      socket.set(zmq::sockopt::zap_domain, server->options_.zap_domain);
    }
    socket.bind(server->options_.endpoint);
    server->bound_endpoint_ = socket.get(zmq::sockopt::last_endpoint);
    RouterServer* self = server.get();
    server->driver_ = std::make_unique<ZmqSocketDriver>(
        io, std::move(socket),
        [self](ZmqSocketDriver::Frames&& f) { self->OnFrames(std::move(f)); });
    server->driver_->set_on_send_error(
        [self](const zmq::error_t&) { ++self->stats_.send_dropped; });
  } catch (const zmq::error_t& e) {
    return UnavailableError("cannot bind '" + server->options_.endpoint + "': " + e.what() +
                            " (is another process using the port? change the endpoint in the "
                            "config)");
  }
  server->driver_->Start();
  return server;
}

void RouterServer::Send(const std::string& routing_id, const v1::Envelope& envelope) {
  ZmqSocketDriver::Frames frames;
  frames.emplace_back(routing_id);
  frames.emplace_back(EncodeEnvelope(envelope));
  if (driver_->Send(std::move(frames))) {
    ++stats_.sent;
  } else {
    ++stats_.send_dropped;
  }
}

void RouterServer::OnFrames(ZmqSocketDriver::Frames&& frames) {
  if (frames.size() != 2) {
    ++stats_.dropped_malformed;
    LogDebug("dropped malformed message", {{"frames", Kv(frames.size())}});
    return;
  }
  zmq::message_t& payload = frames[1];
  DecodeResult decoded =
      DecodeEnvelope(payload.to_string_view(), options_.max_message_bytes, &scratch_);
  std::string routing_id = frames[0].to_string();
  switch (decoded.failure) {
    case DecodeFailure::kNone:
      break;
    case DecodeFailure::kOversized:
      ++stats_.dropped_oversized;
      LogWarn("dropped oversized message", {{"bytes", Kv(payload.size())}});
      return;
    case DecodeFailure::kUndecodable:
      ++stats_.dropped_undecodable;
      LogDebug("dropped undecodable message", {{"bytes", Kv(payload.size())}});
      return;
    case DecodeFailure::kUnsupportedVersion:
      ++stats_.version_mismatch;
      Send(routing_id,
           MakeErrorReply(scratch_, v1::ERROR_CODE_UNSUPPORTED_VERSION, decoded.status.message()));
      return;
  }
  ++stats_.received;
  IncomingEnvelope incoming;
  incoming.routing_id = std::move(routing_id);
  if (options_.curve) {
    const char* user = payload.gets("User-Id");
    if (user) incoming.public_key = user;
  }
  incoming.envelope.Swap(&scratch_);
  handler_(std::move(incoming));
}

}  // namespace apsis::transport
