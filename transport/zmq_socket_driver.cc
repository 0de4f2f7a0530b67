#include "transport/zmq_socket_driver.h"

#include <boost/asio/post.hpp>
#include <zmq_addon.hpp>

namespace apsis::transport {
namespace {
// Messages handled per pump before yielding to other work on the loop, so one busy socket cannot
// starve timers or other sockets.
constexpr int kPumpBudget = 512;
}  // namespace

ZmqSocketDriver::ZmqSocketDriver(boost::asio::io_context& io, zmq::socket_t socket,
                                 FramesHandler on_frames)
    : io_(io),
      socket_(std::move(socket)),
      descriptor_(io, socket_.get(zmq::sockopt::fd)),
      on_frames_(std::move(on_frames)) {}

ZmqSocketDriver::~ZmqSocketDriver() {
  *alive_ = false;
  boost::system::error_code ignored;
  descriptor_.cancel(ignored);
  // The descriptor belongs to ZeroMQ: release it so Asio does not close it.
  descriptor_.release();
}

void ZmqSocketDriver::Start() { SchedulePump(); }

bool ZmqSocketDriver::Send(Frames frames) {
  if (outbox_.empty()) {
    // Fast path: hand the message to ZeroMQ now. The pump still runs afterwards because a send can
    // consume the descriptor's edge, and ZMQ_EVENTS must be re-read before waiting again.
    try {
      if (zmq::send_multipart(socket_, frames, zmq::send_flags::dontwait)) {
        SchedulePump();
        return true;
      }
    } catch (const zmq::error_t& e) {
      if (on_send_error_) on_send_error_(e);
      SchedulePump();
      return true;  // dropped for good, like a failed queued send
    }
  }
  if (outbox_.size() >= max_queued_) return false;
  outbox_.push_back(std::move(frames));
  SchedulePump();
  return true;
}

void ZmqSocketDriver::SchedulePump() {
  if (pump_scheduled_) return;
  pump_scheduled_ = true;
  std::weak_ptr<bool> alive = alive_;
  boost::asio::post(io_, [this, alive] {
    auto guard = alive.lock();
    if (!guard || !*guard) return;
    pump_scheduled_ = false;
    Pump();
  });
}

void ZmqSocketDriver::Pump() {
  int budget = kPumpBudget;
  while (budget > 0) {
    const int events = socket_.get(zmq::sockopt::events);
    bool progressed = false;
    if (events & ZMQ_POLLIN) {
      Frames frames;
      auto received =
          zmq::recv_multipart(socket_, std::back_inserter(frames), zmq::recv_flags::dontwait);
      if (received) {
        progressed = true;
        --budget;
        on_frames_(std::move(frames));
        if (!*alive_) return;
      }
    }
    if ((events & ZMQ_POLLOUT) && !outbox_.empty()) {
      Frames& frames = outbox_.front();
      try {
        auto sent = zmq::send_multipart(socket_, frames, zmq::send_flags::dontwait);
        if (sent) {
          outbox_.pop_front();
          progressed = true;
          --budget;
        }
      } catch (const zmq::error_t& e) {
        // Permanent failure for this message (e.g. EHOSTUNREACH): drop it, keep the loop going.
        outbox_.pop_front();
        progressed = true;
        if (on_send_error_) on_send_error_(e);
      }
    }
    if (!progressed) {
      WaitReadable();
      return;
    }
  }
  // Budget spent: continue after other queued work.
  SchedulePump();
}

void ZmqSocketDriver::WaitReadable() {
  if (waiting_) return;
  waiting_ = true;
  std::weak_ptr<bool> alive = alive_;
  descriptor_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                         [this, alive](const boost::system::error_code& ec) {
                           auto guard = alive.lock();
                           if (!guard || !*guard) return;
                           waiting_ = false;
                           if (ec == boost::asio::error::operation_aborted) return;
                           Pump();
                         });
}

}  // namespace apsis::transport
