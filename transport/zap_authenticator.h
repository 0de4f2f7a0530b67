// ZAP (ZeroMQ Authentication Protocol, RFC 27) handler that admits CURVE clients whose public key
// is in an allowlist and refuses everyone else.
//
// One per zmq::context_t: it binds "inproc://zeromq.zap.01" in that context, so every CURVE server
// socket of the context consults it. Admitted connections get their Z85 public key as ZeroMQ
// User-Id, which each received message carries (the peer's identity for the server).
// Not thread-safe: use on the io_context's thread.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "common/status.h"
#include "transport/transport_stats.h"
#include "transport/zmq_socket_driver.h"

namespace apsis::transport {

class ZapAuthenticator {
 public:
  static Result<std::unique_ptr<ZapAuthenticator>> Create(boost::asio::io_context& io,
                                                          zmq::context_t& context);

  // Replaces the allowlist of a ZAP domain (RouterServerOptions::zap_domain): Z85 public key ->
  // peer name. Takes effect for new handshakes; a domain without an allowlist admits nobody.
  void SetAllowlist(std::map<std::string, std::string> keys) {
    SetAllowlist(kDefaultDomain, std::move(keys));
  }
  void SetAllowlist(const std::string& domain, std::map<std::string, std::string> keys) {
    allowed_[domain] = std::move(keys);
  }
  static constexpr const char* kDefaultDomain = "apsis";

  uint64_t admitted() const { return admitted_; }
  uint64_t refused() const { return refused_; }

 private:
  ZapAuthenticator() = default;
  void OnRequest(ZmqSocketDriver::Frames&& frames);

  std::unique_ptr<ZmqSocketDriver> driver_;
  std::map<std::string, std::map<std::string, std::string>> allowed_;  // domain -> key -> name
  uint64_t admitted_ = 0;
  uint64_t refused_ = 0;
};

}  // namespace apsis::transport
