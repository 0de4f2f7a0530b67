// Drives one ZeroMQ socket from a Boost.Asio io_context on one thread.
//
// ZeroMQ exposes readiness through ZMQ_FD, which is edge-triggered: it signals that ZMQ_EVENTS
// may have changed, not that a message is waiting. So after every receive or send the driver
// re-reads ZMQ_EVENTS and keeps working until neither direction can make progress, and only then
// waits on the descriptor again. Skipping that re-check stalls the loop.
//
// Not thread-safe: construct, use and destroy on the io_context's thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <utility>  // before Boost.Asio: Boost 1.74 misses it under C++20
#include <vector>
#include <zmq.hpp>

namespace apsis::transport {

class ZmqSocketDriver {
 public:
  using Frames = std::vector<zmq::message_t>;
  using FramesHandler = std::function<void(Frames&&)>;

  ZmqSocketDriver(boost::asio::io_context& io, zmq::socket_t socket, FramesHandler on_frames);
  ~ZmqSocketDriver();
  ZmqSocketDriver(const ZmqSocketDriver&) = delete;
  ZmqSocketDriver& operator=(const ZmqSocketDriver&) = delete;

  // Starts receiving. Call once after the socket is bound or connected.
  void Start();

  // Queues a multipart message; it is sent from the loop as soon as ZeroMQ accepts it. Returns
  // false (and drops the message) when `max_queued` messages are already waiting.
  bool Send(Frames frames);

  // Messages waiting because ZeroMQ could not take them yet.
  size_t queued() const { return outbox_.size(); }
  void set_max_queued(size_t n) { max_queued_ = n; }

  zmq::socket_t& socket() { return socket_; }

  // Called when a send fails for good (e.g. the peer is gone); the message is dropped.
  void set_on_send_error(std::function<void(const zmq::error_t&)> fn) {
    on_send_error_ = std::move(fn);
  }

 private:
  void SchedulePump();
  void Pump();
  void WaitReadable();

  boost::asio::io_context& io_;
  zmq::socket_t socket_;
  boost::asio::posix::stream_descriptor descriptor_;
  FramesHandler on_frames_;
  std::function<void(const zmq::error_t&)> on_send_error_;
  std::deque<Frames> outbox_;
  size_t max_queued_ = 1'000'000;
  bool waiting_ = false;
  bool pump_scheduled_ = false;
  // Guards callbacks posted to the loop against running after destruction.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace apsis::transport
