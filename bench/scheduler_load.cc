// scheduler_load: the real apsis-scheduler under N scripted agents heartbeating at 1 Hz and a
// steady stream of job submissions.
//
//   build/bench/scheduler_load [--agents 5000] [--rate 1000] [--seconds 60]
//
// Reports: messages sent vs. counted by the scheduler (apsis_agent_messages_total), submissions
// acknowledged, submission round-trip p50/p99 (client side), the scheduler's own message-handling
// p99 (from apsis_request_duration_seconds), and the scheduler's peak RSS. Plaintext transport
// (CURVE's cost is measured by transport_bench).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "bench_process.h"
#include "transport/dealer_client.h"

namespace {

using SteadyClock = std::chrono::steady_clock;
using apsis::bench::FreeLoopbackPort;
using apsis::v1::Envelope;

long RssKiB(pid_t pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field));
  }
  return -1;
}

std::string Scrape(int port) {
  const std::string cmd = "curl -sf http://127.0.0.1:" + std::to_string(port) + "/metrics";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

double MetricValue(const std::string& text, const std::string& series) {
  auto pos = text.find("\n" + series + " ");
  if (pos == std::string::npos) return -1;
  return std::atof(text.c_str() + pos + series.size() + 2);
}

// p99 upper bound from a Prometheus histogram's cumulative buckets.
double HistogramQuantile(const std::string& text, const std::string& name, double q) {
  std::regex bucket(name + "_bucket\\{le=\"([^\"]+)\"\\} ([0-9.e+]+)");
  std::vector<std::pair<double, double>> buckets;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), bucket);
       it != std::sregex_iterator(); ++it) {
    const std::string le = (*it)[1];
    buckets.emplace_back(le == "+Inf" ? INFINITY : std::stod(le), std::stod((*it)[2]));
  }
  if (buckets.empty()) return -1;
  const double total = buckets.back().second;
  for (auto& [le, count] : buckets)
    if (count >= q * total) return le;
  return INFINITY;
}

}  // namespace

int main(int argc, char** argv) {
  int agents = 5000, rate = 1000, seconds = 60;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--agents")) agents = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rate")) rate = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atoi(argv[i + 1]);
  }
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("apsis-load-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const int agent_port = FreeLoopbackPort(), client_port = FreeLoopbackPort(),
            metrics_port = FreeLoopbackPort();
  {
    std::ofstream cfg(dir / "scheduler.yaml");
    cfg << "cluster_id: load\nstate_dir: state\nlog_level: warn\n"
        << "agent_endpoint: tcp://127.0.0.1:" << agent_port << "\n"
        << "client_endpoint: tcp://127.0.0.1:" << client_port << "\n"
        << "metrics_listen: 127.0.0.1:" << metrics_port << "\n"
        << "security:\n  insecure: true\n"
        << "agents:\n  heartbeat_interval: 1s\n  down_after_missed_heartbeats: 10\n"
        << "jobs:\n  max_jobs_per_submit: 10000\n";
  }
  const std::string binary = APSIS_SCHEDULER_BINARY;
  const std::string config = (dir / "scheduler.yaml").string();
  const std::string log = (dir / "scheduler.log").string();
  const pid_t pid = apsis::bench::SpawnScheduler(binary, config, log);
  if (pid < 0) return 1;

  boost::asio::io_context io;
  zmq::context_t zmq(2);
  zmq.set(zmq::ctxopt::max_sockets, agents + 100);
  auto run_until = [&](auto done, std::chrono::seconds limit) {
    auto end = SteadyClock::now() + limit;
    while (!done() && SteadyClock::now() < end) io.run_for(std::chrono::milliseconds(2));
    return done();
  };

  // Agents: Hello + a 6-hour forecast each, then heartbeats.
  std::vector<std::unique_ptr<apsis::transport::DealerClient>> peers;
  int welcomed = 0;
  apsis::transport::DealerClientOptions agent_options;
  agent_options.endpoint = "tcp://127.0.0.1:" + std::to_string(agent_port);
  agent_options.send_high_water_mark = 1000;
  agent_options.receive_high_water_mark = 1000;
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  for (int i = 0; i < agents; ++i) {
    auto peer = apsis::transport::DealerClient::Create(io, zmq, agent_options, [&](Envelope&& e) {
      if (e.has_welcome()) ++welcomed;
    });
    if (!peer.ok()) {
      std::fprintf(stderr, "agent %d: %s\n", i, peer.status().ToString().c_str());
      kill(pid, SIGKILL);
      return 1;
    }
    Envelope hello;
    auto* spec = hello.mutable_hello()->mutable_spec();
    apsis::bench::FillGroundNodeSpec("node-" + std::to_string(i), i, spec);
    (*peer)->Send(hello);
    Envelope forecast;
    auto* f = forecast.mutable_forecast();
    f->set_node_id(spec->id());
    f->set_start_us(now_us - 60'000'000);
    f->set_step_us(60'000'000);
    for (int s = 0; s < 6 * 60; ++s) {
      auto* step = f->add_steps();
      step->set_available_w(60'000);
      step->set_price_usd_per_kwh(0.05 + 0.1 * ((s / 60 + i) % 24) / 24.0);
    }
    (*peer)->Send(forecast);
    peers.push_back(std::move(*peer));
    if (i % 200 == 0) io.poll();
  }
  const auto registration_start = SteadyClock::now();
  if (!run_until([&] { return welcomed == agents; }, std::chrono::seconds(300))) {
    std::fprintf(stderr, "only %d of %d agents welcomed\n", welcomed, agents);
  }
  const double registration_s =
      std::chrono::duration<double>(SteadyClock::now() - registration_start).count();
  const double base_messages = MetricValue(Scrape(metrics_port), "apsis_agent_messages_total");

  // Submissions from one client, `rate` per second, one job per request.
  apsis::transport::DealerClientOptions client_options;
  client_options.endpoint = "tcp://127.0.0.1:" + std::to_string(client_port);
  auto client = std::move(
      *apsis::transport::DealerClient::Create(io, zmq, client_options, [](Envelope&&) {}));
  std::vector<double> rtts;
  int acked = 0, failed = 0, submitted = 0;
  uint64_t heartbeats = 0;
  const auto start = SteadyClock::now();
  const auto end = start + std::chrono::seconds(seconds);
  long peak_rss = 0;
  int next_agent = 0;
  while (SteadyClock::now() < end) {
    const double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
    // Heartbeats: each agent once per second, spread evenly.
    const uint64_t due_heartbeats = static_cast<uint64_t>(elapsed * agents);
    while (heartbeats < due_heartbeats) {
      Envelope hb;
      hb.mutable_heartbeat()->set_node_id("node-" + std::to_string(next_agent));
      peers[next_agent]->Send(hb);
      next_agent = (next_agent + 1) % agents;
      ++heartbeats;
    }
    const int due_submissions = static_cast<int>(elapsed * rate);
    while (submitted < due_submissions) {
      Envelope req;
      auto* job = req.mutable_client_request()->mutable_submit()->add_jobs();
      job->set_kind(apsis::v1::JOB_KIND_TRAINING);
      job->set_gpus(1 + submitted % 4);
      job->set_watts_per_gpu(700);
      job->mutable_training()->set_gpu_hours(0.5 + submitted % 8);
      job->mutable_training()->set_deferrable(submitted % 3 == 0);
      const auto sent = SteadyClock::now();
      client->Request(req, std::chrono::seconds(30), [&, sent](apsis::Result<Envelope> r) {
        if (r.ok()) {
          ++acked;
          rtts.push_back(
              std::chrono::duration<double, std::milli>(SteadyClock::now() - sent).count());
        } else {
          ++failed;
        }
      });
      ++submitted;
    }
    io.run_for(std::chrono::milliseconds(1));
    peak_rss = std::max(peak_rss, RssKiB(pid, "VmRSS:"));
  }
  run_until([&] { return acked + failed == submitted; }, std::chrono::seconds(60));
  const double sent_messages = static_cast<double>(heartbeats);
  const double counted_at_end =
      MetricValue(Scrape(metrics_port), "apsis_agent_messages_total") - base_messages;
  // Messages still queued when the run ends are late, not lost: wait until every one is counted
  // or the count stops moving.
  const auto drain_start = SteadyClock::now();
  double counted = counted_at_end, previous = -1;
  while (counted < sent_messages && counted != previous &&
         SteadyClock::now() - drain_start < std::chrono::seconds(120)) {
    previous = counted;
    run_until([] { return false; }, std::chrono::seconds(2));
    counted = MetricValue(Scrape(metrics_port), "apsis_agent_messages_total") - base_messages;
  }
  const double drain_s = std::chrono::duration<double>(SteadyClock::now() - drain_start).count();
  const std::string metrics = Scrape(metrics_port);
  const double server_p99_ms =
      HistogramQuantile(metrics, "apsis_request_duration_seconds", 0.99) * 1e3;
  const double plan_p99_ms = HistogramQuantile(metrics, "apsis_plan_duration_seconds", 0.99) * 1e3;
  peak_rss = std::max(peak_rss, RssKiB(pid, "VmHWM:"));
  std::sort(rtts.begin(), rtts.end());
  auto pct = [&](double q) {
    return rtts.empty() ? -1.0 : rtts[static_cast<size_t>(q * (rtts.size() - 1))];
  };

  std::printf("scheduler_load: %d agents at 1 Hz, %d submissions/s, %d s\n", agents, rate, seconds);
  std::printf("  registration (hello + forecast) of all agents: %.1f s\n", registration_s);
  std::printf(
      "  heartbeats sent %.0f; handled by the end of the run %.0f; after %.1f s more %.0f "
      "(lost %.0f)\n",
      sent_messages, counted_at_end, drain_s, counted, sent_messages - counted);
  std::printf("  submissions %d, acknowledged %d, failed %d\n", submitted, acked, failed);
  std::printf("  submission round trip p50 %.2f ms, p99 %.2f ms\n", pct(0.5), pct(0.99));
  std::printf("  scheduler message handling p99 <= %.2f ms (histogram bucket bound)\n",
              server_p99_ms);
  std::printf("  planning pass p99 <= %.2f ms\n", plan_p99_ms);
  std::printf("  scheduler peak RSS %.1f MiB\n", peak_rss / 1024.0);

  peers.clear();
  client.reset();
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  fs::remove_all(dir);
  return 0;
}
