#include "transport/zap_authenticator.h"

#include <zmq.h>

#include "common/log.h"

namespace apsis::transport {

Result<std::unique_ptr<ZapAuthenticator>> ZapAuthenticator::Create(boost::asio::io_context& io,
                                                                   zmq::context_t& context) {
  std::unique_ptr<ZapAuthenticator> auth(new ZapAuthenticator());
  try {
    zmq::socket_t socket(context, zmq::socket_type::rep);
    socket.set(zmq::sockopt::linger, 0);
    socket.bind("inproc://zeromq.zap.01");
    ZapAuthenticator* self = auth.get();
    auth->driver_ = std::make_unique<ZmqSocketDriver>(
        io, std::move(socket),
        [self](ZmqSocketDriver::Frames&& f) { self->OnRequest(std::move(f)); });
  } catch (const zmq::error_t& e) {
    return UnavailableError(std::string("cannot start the ZAP handler: ") + e.what() +
                            " (only one ZAP handler may exist per ZeroMQ context)");
  }
  auth->driver_->Start();
  return auth;
}

void ZapAuthenticator::OnRequest(ZmqSocketDriver::Frames&& frames) {
  // Request: version, request id, domain, address, identity, mechanism, credentials...
  auto reply = [&](const std::string& code, const std::string& text, const std::string& user) {
    ZmqSocketDriver::Frames out;
    out.emplace_back(std::string("1.0"));
    out.emplace_back(frames.size() > 1 ? frames[1].to_string() : std::string());
    out.emplace_back(code);
    out.emplace_back(text);
    out.emplace_back(user);
    out.emplace_back();  // metadata
    driver_->Send(std::move(out));
  };
  if (frames.size() < 6 || frames[0].to_string_view() != "1.0") {
    ++refused_;
    reply("400", "malformed ZAP request", "");
    return;
  }
  const std::string mechanism = frames[5].to_string();
  const std::string address = frames[3].to_string();
  if (mechanism != "CURVE" || frames.size() < 7 || frames[6].size() != 32) {
    ++refused_;
    LogWarn("connection refused: not a CURVE client",
            {{"address", address}, {"mechanism", mechanism}});
    reply("400", "CURVE required", "");
    return;
  }
  char z85[41];
  zmq_z85_encode(z85, static_cast<const uint8_t*>(frames[6].data()), 32);
  const std::string key(z85);
  const std::string domain = frames[2].to_string();
  const auto& allowed = allowed_[domain];
  auto it = allowed.find(key);
  if (it == allowed.end()) {
    ++refused_;
    LogWarn("connection refused: public key not in the allowlist",
            {{"address", address}, {"domain", domain}, {"public_key", key}});
    reply("400", "public key not allowed", "");
    return;
  }
  ++admitted_;
  LogDebug("connection admitted", {{"address", address}, {"peer", it->second}});
  reply("200", "OK", key);
}

}  // namespace apsis::transport
