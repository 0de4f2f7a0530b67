#include "common/clock_timer.h"

#include <boost/asio/post.hpp>

namespace apsis {

struct ClockTimer::State {
  explicit State(boost::asio::io_context& io) : timer(io) {}
  boost::asio::steady_timer timer;
  TimePoint deadline;
  std::function<void()> handler;
  uint64_t generation = 0;  // bumped on every re-arm or cancel so stale wake-ups are ignored
  bool check_posted = false;
};

ClockTimer::ClockTimer(boost::asio::io_context& io, const Clock& clock)
    : io_(io), clock_(clock), state_(std::make_shared<State>(io)) {
  if (!clock_.RealDelay(Duration(1))) {
    std::weak_ptr<State> weak = state_;
    listener_ = clock_.AddListener([this, weak, &io]() {
      // Called on the advancing thread: only post, never touch the timer state here.
      boost::asio::post(io, [this, weak]() {
        auto state = weak.lock();
        if (state && state->handler) Arm();
      });
    });
  }
}

ClockTimer::~ClockTimer() {
  if (listener_ != 0) clock_.RemoveListener(listener_);
  state_->handler = nullptr;
  state_->generation++;
  state_->timer.cancel();
}

void ClockTimer::WaitUntil(TimePoint deadline, std::function<void()> handler) {
  state_->deadline = deadline;
  state_->handler = std::move(handler);
  state_->generation++;
  Arm();
}

void ClockTimer::Cancel() {
  state_->handler = nullptr;
  state_->generation++;
  state_->timer.cancel();
}

bool ClockTimer::pending() const { return static_cast<bool>(state_->handler); }

void ClockTimer::Arm() {
  const uint64_t generation = state_->generation;
  std::weak_ptr<State> weak = state_;
  auto fire_if_current = [weak, generation]() {
    auto state = weak.lock();
    if (!state || state->generation != generation || !state->handler) return;
    auto handler = std::move(state->handler);
    state->handler = nullptr;
    handler();
  };
  const Duration remaining = state_->deadline - clock_.Now();
  if (remaining.count() <= 0) {
    boost::asio::post(io_, fire_if_current);
    return;
  }
  auto real = clock_.RealDelay(remaining);
  if (!real) return;  // manual clock: the advance listener re-arms
  state_->timer.expires_after(*real);
  state_->timer.async_wait([this, weak, generation](const boost::system::error_code& ec) {
    auto state = weak.lock();
    if (ec || !state || state->generation != generation) return;
    Arm();  // re-check: the clock may lag the steady timer by rounding
  });
}

}  // namespace apsis
