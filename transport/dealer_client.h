// The client side of an Apsis endpoint: a ZeroMQ DEALER socket carrying Envelopes, with
// request/response matching by correlation id and per-request timeouts.
//
// ZeroMQ reconnects by itself (with backoff between reconnect_min and reconnect_max); messages
// sent while disconnected wait in the socket's queue. Not thread-safe: use on the io_context's
// thread; handlers run there.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
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

struct DealerClientOptions {
  std::string endpoint = "tcp://127.0.0.1:7700";
  std::optional<CurveKeyPair> curve;  // this client's keys; nullopt: plaintext
  std::string server_public_key;      // required with curve
  size_t max_message_bytes = kDefaultMaxMessageBytes;
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{5000};
  int send_high_water_mark = 100'000;
  int receive_high_water_mark = 100'000;
};

class DealerClient {
 public:
  // Receives every envelope that does not answer a pending Request.
  using Handler = std::function<void(v1::Envelope&&)>;
  using ResponseHandler = std::function<void(Result<v1::Envelope>)>;

  static Result<std::unique_ptr<DealerClient>> Create(boost::asio::io_context& io,
                                                      zmq::context_t& context,
                                                      DealerClientOptions options, Handler handler);
  ~DealerClient();

  // Sends without waiting for an answer. Stamps version and, when 0, a fresh correlation id.
  void Send(v1::Envelope envelope);

  // Sends and calls `done` once with the answer (an Error envelope becomes an error status) or
  // DEADLINE_EXCEEDED after `timeout`.
  void Request(v1::Envelope envelope, std::chrono::milliseconds timeout, ResponseHandler done);

  const TransportStats& stats() const { return stats_; }
  size_t pending_requests() const { return pending_.size(); }
  size_t queued() const { return driver_->queued(); }

 private:
  struct PendingRequest {
    ResponseHandler done;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  explicit DealerClient(boost::asio::io_context& io) : io_(io) {}
  void OnFrames(ZmqSocketDriver::Frames&& frames);

  boost::asio::io_context& io_;
  DealerClientOptions options_;
  Handler handler_;
  std::unique_ptr<ZmqSocketDriver> driver_;
  TransportStats stats_;
  uint64_t next_correlation_id_ = 1;
  std::map<uint64_t, PendingRequest> pending_;
};

// Converts an Error envelope into the matching Status (used for responses).
Status StatusFromError(const v1::Error& error);

}  // namespace apsis::transport
