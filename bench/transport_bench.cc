// transport_bench: one-way throughput and round-trip latency of 256-byte envelopes over loopback
// TCP, through RouterServer and DealerClient (each on its own io_context thread), CURVE off and on.
//
//   build/bench/transport_bench [--messages N] [--round-trips N] [--repeats N]
// Prints the median of the repeats for each figure.
#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "transport/dealer_client.h"
#include "transport/router_server.h"
#include "transport/zap_authenticator.h"

namespace apsis::transport {
namespace {

using Clock = std::chrono::steady_clock;

struct Figures {
  double one_way_msgs_per_s = 0;
  double rtt_p50_us = 0;
  double rtt_p99_us = 0;
};

v1::Envelope Payload256() {
  v1::Envelope e;
  e.set_sender("bench");
  // 256 bytes on the wire in total: pad a heartbeat's field.
  e.mutable_hello()->set_agent_version(std::string(256 - 24, 'x'));
  e.set_correlation_id(1);
  return e;
}

Figures RunOnce(bool curve, int messages, int round_trips) {
  zmq::context_t context(2);
  boost::asio::io_context server_io, client_io;
  std::unique_ptr<ZapAuthenticator> auth;
  RouterServerOptions server_options;
  server_options.endpoint = "tcp://127.0.0.1:*";
  CurveKeyPair server_keys, client_keys;
  if (curve) {
    server_keys = *GenerateCurveKeyPair();
    client_keys = *GenerateCurveKeyPair();
    server_options.curve = server_keys;
    auth = std::move(*ZapAuthenticator::Create(server_io, context));
    auth->SetAllowlist({{client_keys.public_z85, "bench"}});
  }
  std::atomic<int> received{0};
  bool echo = false;
  std::unique_ptr<RouterServer> server;
  server = std::move(*RouterServer::Create(server_io, context, server_options,
                                           [&](IncomingEnvelope&& in) {
                                             if (echo) server->Send(in.routing_id, in.envelope);
                                             received.fetch_add(1, std::memory_order_relaxed);
                                           }));
  DealerClientOptions client_options;
  client_options.endpoint = server->bound_endpoint();
  if (curve) {
    client_options.curve = client_keys;
    client_options.server_public_key = server_keys.public_z85;
  }
  std::atomic<bool> stop{false};
  std::thread server_thread([&] {
    auto guard = boost::asio::make_work_guard(server_io);
    while (!stop) server_io.run_for(std::chrono::milliseconds(50));
  });

  std::promise<void> rtt_done;
  std::vector<double> rtts;
  Clock::time_point sent_at;
  int rtt_count = 0;
  std::unique_ptr<DealerClient> client;
  std::function<void()> send_next;
  client = std::move(*DealerClient::Create(client_io, context, client_options,
                                           [&](v1::Envelope&&) {
                                             rtts.push_back(std::chrono::duration<double, std::micro>(
                                                                Clock::now() - sent_at)
                                                                .count());
                                             if (++rtt_count < round_trips) {
                                               send_next();
                                             } else {
                                               rtt_done.set_value();
                                             }
                                           }));
  const v1::Envelope payload = Payload256();

  // Warm-up: connect (and handshake) before timing.
  client->Send(payload);
  while (received.load() < 1) client_io.run_for(std::chrono::milliseconds(1));

  Figures figures;
  received = 0;
  auto start = Clock::now();
  for (int i = 0; i < messages; ++i) {
    client->Send(payload);
    if (client->queued() > 10'000) client_io.poll();
  }
  while (received.load(std::memory_order_relaxed) < messages) client_io.run_for(std::chrono::microseconds(200));
  figures.one_way_msgs_per_s =
      messages / std::chrono::duration<double>(Clock::now() - start).count();

  echo = true;  // safe: the server thread is idle, no message is in flight
  send_next = [&] {
    sent_at = Clock::now();
    client->Send(payload);
  };
  auto done = rtt_done.get_future();
  send_next();
  while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
    client_io.run_for(std::chrono::milliseconds(1));
  std::sort(rtts.begin(), rtts.end());
  figures.rtt_p50_us = rtts[rtts.size() / 2];
  figures.rtt_p99_us = rtts[rtts.size() * 99 / 100];

  stop = true;
  server_thread.join();
  client.reset();
  server.reset();
  auth.reset();
  return figures;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace
}  // namespace apsis::transport

int main(int argc, char** argv) {
  int messages = 500'000, round_trips = 20'000, repeats = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--messages")) messages = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--round-trips")) round_trips = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
  }
  std::printf("transport_bench: 256-byte envelopes, loopback TCP, %d messages one-way, %d round "
              "trips, median of %d runs\n",
              messages, round_trips, repeats);
  std::printf("%-8s %18s %14s %14s\n", "curve", "one-way msg/s", "rtt p50 us", "rtt p99 us");
  for (bool curve : {false, true}) {
    std::vector<double> rate, p50, p99;
    for (int r = 0; r < repeats; ++r) {
      auto f = apsis::transport::RunOnce(curve, messages, round_trips);
      rate.push_back(f.one_way_msgs_per_s);
      p50.push_back(f.rtt_p50_us);
      p99.push_back(f.rtt_p99_us);
    }
    std::printf("%-8s %18.0f %14.1f %14.1f\n", curve ? "on" : "off",
                apsis::transport::Median(rate), apsis::transport::Median(p50),
                apsis::transport::Median(p99));
  }
  return 0;
}
