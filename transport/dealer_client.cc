#include "transport/dealer_client.h"

#include "common/log.h"

namespace apsis::transport {

Status StatusFromError(const v1::Error& error) {
  std::string message = error.message();
  for (const auto& d : error.details()) message += "\n  " + d;
  switch (error.code()) {
    case v1::ERROR_CODE_INVALID_ARGUMENT:
      return InvalidArgumentError(message);
    case v1::ERROR_CODE_NOT_FOUND:
      return NotFoundError(message);
    case v1::ERROR_CODE_PERMISSION_DENIED:
      return PermissionDeniedError(message);
    case v1::ERROR_CODE_RESOURCE_EXHAUSTED:
      return ResourceExhaustedError(message);
    case v1::ERROR_CODE_UNAVAILABLE:
      return UnavailableError(message);
    case v1::ERROR_CODE_FAILED_PRECONDITION:
      return FailedPreconditionError(message);
    case v1::ERROR_CODE_ALREADY_EXISTS:
      return AlreadyExistsError(message);
    case v1::ERROR_CODE_UNSUPPORTED_VERSION:
      return FailedPreconditionError(message);
    default:
      return InternalError(message);
  }
}

Result<std::unique_ptr<DealerClient>> DealerClient::Create(boost::asio::io_context& io,
                                                           zmq::context_t& context,
                                                           DealerClientOptions options,
                                                           Handler handler) {
  std::unique_ptr<DealerClient> client(new DealerClient(io));
  client->options_ = std::move(options);
  client->handler_ = std::move(handler);
  const auto& opt = client->options_;
  if (opt.curve && !IsValidZ85Key(opt.server_public_key)) {
    return InvalidArgumentError("server public key '" + opt.server_public_key +
                                "' is not a 40-character Z85 key; copy the scheduler's .pub file");
  }
  try {
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::sndhwm, opt.send_high_water_mark);
    socket.set(zmq::sockopt::rcvhwm, opt.receive_high_water_mark);
    socket.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(opt.max_message_bytes) + 1024);
    socket.set(zmq::sockopt::reconnect_ivl, static_cast<int>(opt.reconnect_min.count()));
    socket.set(zmq::sockopt::reconnect_ivl_max, static_cast<int>(opt.reconnect_max.count()));
    if (opt.curve) {
      socket.set(zmq::sockopt::curve_serverkey, opt.server_public_key);
      socket.set(zmq::sockopt::curve_publickey, opt.curve->public_z85);
      socket.set(zmq::sockopt::curve_secretkey, opt.curve->secret_z85);
    }
    socket.connect(opt.endpoint);
    DealerClient* self = client.get();
    client->driver_ = std::make_unique<ZmqSocketDriver>(
        io, std::move(socket),
        [self](ZmqSocketDriver::Frames&& f) { self->OnFrames(std::move(f)); });
  } catch (const zmq::error_t& e) {
    return UnavailableError("cannot connect to '" + opt.endpoint + "': " + e.what() +
                            " (check the endpoint, e.g. tcp://host:7700)");
  }
  client->driver_->Start();
  return client;
}

DealerClient::~DealerClient() {
  for (auto& [id, request] : pending_) request.timer->cancel();
}

void DealerClient::Send(v1::Envelope envelope) {
  if (envelope.correlation_id() == 0) envelope.set_correlation_id(next_correlation_id_++);
  ZmqSocketDriver::Frames frames;
  frames.emplace_back(EncodeEnvelope(std::move(envelope)));
  if (driver_->Send(std::move(frames))) {
    ++stats_.sent;
  } else {
    ++stats_.send_dropped;
  }
}

void DealerClient::Request(v1::Envelope envelope, std::chrono::milliseconds timeout,
                           ResponseHandler done) {
  const uint64_t id = next_correlation_id_++;
  envelope.set_correlation_id(id);
  PendingRequest request;
  request.done = std::move(done);
  request.timer = std::make_unique<boost::asio::steady_timer>(io_, timeout);
  request.timer->async_wait([this, id](const boost::system::error_code& ec) {
    if (ec) return;
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    auto handler = std::move(it->second.done);
    pending_.erase(it);
    ++stats_.requests_timed_out;
    handler(DeadlineExceededError("no answer from '" + options_.endpoint +
                                  "' in time; is the scheduler running and is this client's key "
                                  "in its allowlist?"));
  });
  pending_.emplace(id, std::move(request));
  Send(std::move(envelope));
}

void DealerClient::OnFrames(ZmqSocketDriver::Frames&& frames) {
  if (frames.size() != 1) {
    ++stats_.dropped_malformed;
    return;
  }
  v1::Envelope envelope;
  DecodeResult decoded =
      DecodeEnvelope(frames[0].to_string_view(), options_.max_message_bytes, &envelope);
  if (decoded.failure == DecodeFailure::kOversized) {
    ++stats_.dropped_oversized;
    return;
  }
  if (decoded.failure == DecodeFailure::kUndecodable) {
    ++stats_.dropped_undecodable;
    return;
  }
  auto it = pending_.find(envelope.correlation_id());
  if (decoded.failure == DecodeFailure::kUnsupportedVersion) {
    ++stats_.version_mismatch;
    LogWarn("dropped message of another protocol version", {{"reason", decoded.status.message()}});
    if (it != pending_.end()) {
      auto handler = std::move(it->second.done);
      it->second.timer->cancel();
      pending_.erase(it);
      handler(decoded.status);
    }
    return;
  }
  ++stats_.received;
  if (it != pending_.end()) {
    auto handler = std::move(it->second.done);
    it->second.timer->cancel();
    pending_.erase(it);
    if (envelope.has_error()) {
      handler(StatusFromError(envelope.error()));
    } else {
      handler(std::move(envelope));
    }
    return;
  }
  handler_(std::move(envelope));
}

}  // namespace apsis::transport
