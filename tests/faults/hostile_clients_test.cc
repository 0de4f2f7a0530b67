// Hostile and heavy clients against the real apsis-scheduler: garbage bytes, 16 MiB frames, 10,000
// connections, 100,000 jobs in one request, clients that never read their answers. The offender is
// refused or dropped, the scheduler's memory stays bounded (VmRSS), and an ordinary operator is
// answered throughout.
#include <fcntl.h>
#include <sys/resource.h>

#include <random>
#include <thread>

#include "scheduler_fixture.h"
#include "transport/envelope_codec.h"

namespace apsis::testing {
namespace {

using namespace std::chrono_literals;

// AddressSanitizer keeps freed memory in a quarantine of up to 256 MiB and adds shadow memory, so
// the scheduler's RSS says nothing about its own bounds in that build. There these tests look for
// memory errors; the Release build's run of the same tests checks the memory bounds.
#ifdef APSIS_ASAN
constexpr bool kRssBoundsApply = false;
#else
constexpr bool kRssBoundsApply = true;
#endif

void ExpectRssGrowthBelow(long before_kib, long after_kib, long limit_kib,
                          const std::string& what) {
  if (!kRssBoundsApply) return;
  EXPECT_LT(after_kib - before_kib, limit_kib)
      << what << ": RSS grew by " << (after_kib - before_kib) / 1024 << " MiB (limit "
      << limit_kib / 1024 << " MiB)";
}

class HostileClientsTest : public SchedulerFixture {
 protected:
  // A ZeroMQ DEALER that completes the CURVE handshake with `keys` and then sends whatever bytes it
  // is given: the peer a buggy or malicious but admitted client would be.
  zmq::socket_t RawDealer(const transport::CurveKeyPair& keys) {
    zmq::socket_t s(zmq_, zmq::socket_type::dealer);
    s.set(zmq::sockopt::curve_serverkey, proc_->server_keys().public_z85);
    s.set(zmq::sockopt::curve_publickey, keys.public_z85);
    s.set(zmq::sockopt::curve_secretkey, keys.secret_z85);
    s.set(zmq::sockopt::linger, 0);
    s.connect(proc_->client_endpoint());
    return s;
  }

  // A plain TCP connection to the client endpoint (no ZeroMQ at all); -1 on failure.
  int RawTcp() const {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const std::string ep = proc_->client_endpoint();
    addr.sin_port = htons(static_cast<uint16_t>(std::stoi(ep.substr(ep.rfind(':') + 1))));
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }

  // The operator is still answered, promptly.
  void ExpectOperatorServed(const char* when) {
    const auto t0 = std::chrono::steady_clock::now();
    auto answer = Ask(*ops_, Status());
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_TRUE(answer.ok()) << when << ": " << answer.status().ToString();
    EXPECT_LT(took, 1500ms) << when;
    EXPECT_TRUE(proc_->Alive()) << when << ": the scheduler died";
  }

  static std::string RandomBytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string out(n, '\0');
    for (char& c : out) c = static_cast<char>(rng());
    return out;
  }
};

TEST_F(HostileClientsTest, GarbageBytesAndForeignProtocolsAreDroppedAndOthersServed) {
  const long rss_before = proc_->RssKiB();
  // Unauthenticated junk: random bytes, an HTTP request, a TLS-like hello, on plain TCP.
  std::vector<int> fds;
  for (int i = 0; i < 50; ++i) {
    int fd = RawTcp();
    ASSERT_GE(fd, 0);
    std::string junk = i % 3 == 0 ? "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
                       : i % 3 == 1
                           ? std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)
                           : RandomBytes(4096, i);
    (void)!write(fd, junk.data(), junk.size());
    fds.push_back(fd);
  }
  // Admitted (CURVE-authenticated) junk: undecodable frames, empty frames, many frames.
  zmq::socket_t admitted = RawDealer(submitter_);
  for (int i = 0; i < 1000; ++i) {
    const std::string junk = RandomBytes(1 + i % 300, 1000 + i);
    admitted.send(zmq::buffer(junk), zmq::send_flags::none);
  }
  admitted.send(zmq::message_t(), zmq::send_flags::none);
  for (int i = 0; i < 10; ++i) admitted.send(zmq::str_buffer("x"), zmq::send_flags::sndmore);
  admitted.send(zmq::str_buffer("x"), zmq::send_flags::none);
  Pump(Seconds(0.5), {});
  ExpectOperatorServed("after garbage");
  // The junk sender itself can still make a proper request on the same connection.
  v1::Envelope request;
  request.set_correlation_id(77);
  request.mutable_client_request()->mutable_status();
  admitted.send(zmq::buffer(transport::EncodeEnvelope(request)), zmq::send_flags::none);
  // Junk that happened to decode as an envelope was answered with an error; skip those.
  admitted.set(zmq::sockopt::rcvtimeo, 3000);
  v1::Envelope decoded;
  int errors = 0;
  while (decoded.correlation_id() != 77) {
    zmq::message_t reply;
    ASSERT_TRUE(admitted.recv(reply)) << "no answer to a proper request after the junk";
    ASSERT_TRUE(decoded.ParseFromArray(reply.data(), static_cast<int>(reply.size())));
    if (decoded.has_error()) ++errors;
  }
  EXPECT_TRUE(decoded.has_client_response());
  std::fprintf(stderr, "%d junk messages decoded as envelopes and were answered with an error\n",
               errors);
  for (int fd : fds) close(fd);
  ExpectRssGrowthBelow(rss_before, proc_->RssKiB(), 64 * 1024, "after the hostile input");
}

TEST_F(HostileClientsTest, SixteenMebibyteFramesAreDroppedWithoutBufferingThem) {
  const long rss_before = proc_->RssKiB();
  const std::string huge(16 << 20, 'A');
  // From an admitted client: ZeroMQ's maxmsgsize (max_message_bytes + 1 KiB) cuts the connection
  // as soon as the frame header announces the size, so the 16 MiB are never buffered.
  zmq::socket_t admitted = RawDealer(submitter_);
  for (int i = 0; i < 4; ++i) admitted.send(zmq::buffer(huge), zmq::send_flags::none);
  // From a plain TCP peer: 16 MiB of bytes into the handshake.
  int fd = RawTcp();
  ASSERT_GE(fd, 0);
  fcntl(fd, F_SETFL, O_NONBLOCK);
  size_t written = 0;
  const auto until = std::chrono::steady_clock::now() + 3s;
  while (written < huge.size() && std::chrono::steady_clock::now() < until) {
    ssize_t n = write(fd, huge.data() + written, huge.size() - written);
    if (n > 0) written += static_cast<size_t>(n);
    if (n < 0 && errno != EAGAIN) break;  // the scheduler hung up: what we want
    if (n <= 0) std::this_thread::sleep_for(5ms);
  }
  close(fd);
  Pump(Seconds(1), {});
  ExpectOperatorServed("after 16 MiB frames");
  ExpectRssGrowthBelow(rss_before, proc_->RssKiB(), 48 * 1024, "after the hostile input");
}

TEST_F(HostileClientsTest, TenThousandConnectionsAreHeldAndAnOperatorIsStillServed) {
  constexpr int kConnections = 10'000;
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < kConnections + 1000) {
    GTEST_SKIP() << "RLIMIT_NOFILE hard limit is " << limit.rlim_max << "; this test needs "
                 << kConnections + 1000 << " (raise it with ulimit -Hn)";
  }
  // The scheduler inherits the limit it was started with; restart it under the raised one.
  proc_->Kill(SIGTERM);
  StartScheduler();
  const long rss_before = proc_->RssKiB();
  std::vector<int> fds;
  fds.reserve(kConnections);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kConnections; ++i) {
    int fd = RawTcp();
    ASSERT_GE(fd, 0) << "connection " << i << ": " << std::strerror(errno);
    fds.push_back(fd);
  }
  const double connect_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Pump(Seconds(1), {});
  const long rss_held = proc_->RssKiB();
  ExpectOperatorServed("while 10,000 connections are open");
  // A submitter connecting now still gets through the CURVE handshake and its ZAP check.
  auto alice = Peer(proc_->client_endpoint(), submitter_);
  EXPECT_EQ(Submit(*alice, 1).size(), 1u);
  for (int fd : fds) close(fd);
  Pump(Seconds(1), {});
  ExpectOperatorServed("after the connections closed");
  std::fprintf(stderr,
               "%d connections in %.1f s; RSS: %ld KiB before, %ld KiB with them, %ld KiB after\n",
               kConnections, connect_s, rss_before, rss_held, proc_->RssKiB());
  ExpectRssGrowthBelow(rss_before, rss_held, 256 * 1024, "more than 26 KiB per idle connection");
}

TEST_F(HostileClientsTest, HundredThousandJobsInOneRequestAreRefusedWithTheLimitNamed) {
  const long rss_before = proc_->RssKiB();
  v1::ClientRequest req;
  for (int i = 0; i < 100'000; ++i) AddTrainingJob(req.mutable_submit(), 1, 1);
  ASSERT_LT(req.ByteSizeLong(), size_t{4} << 20) << "must fit max_message_bytes to reach the check";
  auto alice = Peer(proc_->client_endpoint(), submitter_);
  auto answer = Ask(*alice, req);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(answer.status().message().find("jobs.max_jobs_per_submit"), std::string::npos)
      << answer.status().message();
  // Nothing of it was stored.
  v1::ClientRequest list;
  list.mutable_list_jobs();
  auto jobs = Ask(*ops_, list);
  ASSERT_TRUE(jobs.ok());
  EXPECT_EQ(jobs->client_response().jobs().jobs_size(), 0);
  // A request above max_message_bytes is cut by ZeroMQ before it is read: no answer, no growth.
  for (int i = 0; i < 100'000; ++i) req.mutable_submit()->mutable_jobs(i)->add_command("/bin/true");
  ASSERT_GT(req.ByteSizeLong(), size_t{4} << 20);
  EXPECT_FALSE(Ask(*alice, req).ok());
  ExpectOperatorServed("after 100,000 jobs");
  ExpectRssGrowthBelow(rss_before, proc_->RssKiB(), 64 * 1024, "after the hostile input");
}

class SlowReaderTest : public HostileClientsTest {
 protected:
  std::string ExtraConfig() const override { return "client_send_queue: 16\n"; }
};

TEST_F(SlowReaderTest, AClientThatNeverReadsCannotGrowTheSchedulersMemory) {
  // 2,000 jobs make every ListJobs answer ~190 KB.
  for (int i = 0; i < 4; ++i) ASSERT_EQ(Submit(*ops_, 500).size(), 500u);
  v1::ClientRequest list;
  list.mutable_list_jobs();
  auto one = Ask(*ops_, list);
  ASSERT_TRUE(one.ok());
  const size_t answer_bytes = one->client_response().ByteSizeLong();
  ASSERT_GT(answer_bytes, 150'000u);
  const long rss_before = proc_->RssKiB();

  // The slow reader asks 1,000 times (~190 MB of answers) and reads nothing.
  zmq::socket_t slow(zmq_, zmq::socket_type::dealer);
  slow.set(zmq::sockopt::curve_serverkey, proc_->server_keys().public_z85);
  slow.set(zmq::sockopt::curve_publickey, operator_.public_z85);  // sees all 2,000 jobs
  slow.set(zmq::sockopt::curve_secretkey, operator_.secret_z85);
  slow.set(zmq::sockopt::rcvhwm, 1);
  slow.set(zmq::sockopt::rcvbuf, 4096);
  slow.set(zmq::sockopt::linger, 0);
  slow.connect(proc_->client_endpoint());
  v1::Envelope request;
  *request.mutable_client_request() = list;
  const std::string bytes = transport::EncodeEnvelope(request);
  for (int i = 0; i < 1000; ++i) slow.send(zmq::buffer(bytes), zmq::send_flags::none);
  Pump(Seconds(6), {});
  ExpectOperatorServed("while a client does not read");
  const long rss_after = proc_->RssKiB();
  std::fprintf(stderr, "answers %zu bytes; RSS %ld KiB before, %ld KiB after 1,000 unread\n",
               answer_bytes, rss_before, rss_after);
  ExpectRssGrowthBelow(rss_before, rss_after, 48 * 1024, "for a client that never reads");
}

}  // namespace
}  // namespace apsis::testing

// Deeply nested and huge YAML in job spec files and configs: refused with file:line:col, quickly
// and without reading a huge file into memory; never a crash.
TEST(HostileYamlTest, DeeplyNestedOrHugeFilesAreRefusedWithAClearMessage) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("apsis-yaml-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string nested = std::string(100'000, '[') + std::string(100'000, ']');
  std::ofstream(dir / "nested-jobs.yaml") << "jobs: " << nested << "\n";
  std::ofstream(dir / "nested-config.yaml") << "cluster_id: x\nstate_dir: " << nested << "\n";
  {
    std::ofstream huge(dir / "huge-jobs.yaml");
    huge << "jobs:\n";
    for (int i = 0; i < 100'000; ++i)
      huge << "  - {name: job-" << i << ", kind: training, gpus: 1, gpu_type: H100, "
           << "watts_per_gpu: 700, training: {gpu_hours: 1}}\n";
  }
  {
    std::ofstream huge(dir / "huge-config.yaml");
    huge << "cluster_id: x\n# " << std::string(5 << 20, 'x') << "\n";
  }
  // Runs `command`, returns (exit status, output, seconds taken).
  auto run = [&](const std::string& command) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string out = (dir / "out.txt").string();
    const int status = std::system((command + " > " + out + " 2>&1").c_str());
    std::ifstream in(out);
    return std::make_tuple(status, std::string(std::istreambuf_iterator<char>(in), {}),
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - t0));
  };
  const std::string ctl = std::string(APSISCTL_BINARY) + " submit --dry-run -f ";
  const std::string sched = std::string(APSIS_SCHEDULER_BINARY) + " --config ";
  for (const auto& [command, expect] : std::vector<std::pair<std::string, std::string>>{
           {ctl + (dir / "nested-jobs.yaml").string(), "nested-jobs.yaml:1:"},
           {ctl + (dir / "huge-jobs.yaml").string(), "the limit is 8388608 bytes"},
           {sched + (dir / "nested-config.yaml").string(), "nested-config.yaml:2:"},
           {sched + (dir / "huge-config.yaml").string(), "limited to 4194304 bytes"}}) {
    auto [status, output, took] = run(command);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << command << "\n" << output;
    EXPECT_NE(output.find(expect), std::string::npos) << command << "\n" << output;
    EXPECT_LT(took.count(), 5.0) << command;
  }
  std::filesystem::remove_all(dir);
}
