#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <zmq_addon.hpp>

#include "transport/dealer_client.h"
#include "transport/router_server.h"
#include "transport/zap_authenticator.h"

namespace apsis::transport {
namespace {

// A server that echoes every envelope back to its sender, and clients on one io_context thread.
class RouterDealerTest : public ::testing::Test {
 protected:
  void StartServer(bool curve) {
    RouterServerOptions options;
    options.endpoint = "tcp://127.0.0.1:*";
    if (curve) {
      server_keys_ = *GenerateCurveKeyPair();
      options.curve = server_keys_;
      auto auth = ZapAuthenticator::Create(io_, context_);
      ASSERT_TRUE(auth.ok()) << auth.status().ToString();
      auth_ = std::move(*auth);
    }
    auto server = RouterServer::Create(io_, context_, options, [this](IncomingEnvelope&& in) {
      last_peer_key_ = in.public_key;
      server_->Send(in.routing_id, in.envelope);
    });
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
  }

  std::unique_ptr<DealerClient> Connect(
      const std::optional<CurveKeyPair>& keys,
      DealerClient::Handler handler = [](v1::Envelope&&) {}) {
    DealerClientOptions options;
    options.endpoint = server_->bound_endpoint();
    options.curve = keys;
    options.server_public_key = server_keys_.public_z85;
    auto client = DealerClient::Create(io_, context_, options, std::move(handler));
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(*client) : nullptr;
  }

  void RunUntil(const std::function<bool()>& done, std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(std::chrono::milliseconds(10));
      if (io_.stopped()) io_.restart();
    }
  }

  static v1::Envelope Numbered(uint64_t n, const std::string& sender) {
    v1::Envelope e;
    e.set_correlation_id(n);
    e.set_sender(sender);
    e.mutable_heartbeat()->set_node_id(sender);
    e.mutable_heartbeat()->set_power_draw_w(static_cast<double>(n));
    return e;
  }

  boost::asio::io_context io_;
  zmq::context_t context_;
  CurveKeyPair server_keys_;
  std::unique_ptr<ZapAuthenticator> auth_;
  std::unique_ptr<RouterServer> server_;
  std::string last_peer_key_;
};

TEST_F(RouterDealerTest, HundredThousandEnvelopesWithCurveArriveInOrderPerPeer) {
  StartServer(/*curve=*/true);
  auto keys_a = *GenerateCurveKeyPair();
  auto keys_b = *GenerateCurveKeyPair();
  auth_->SetAllowlist({{keys_a.public_z85, "a"}, {keys_b.public_z85, "b"}});
  constexpr uint64_t kPerPeer = 50'000;
  uint64_t next_a = 1, next_b = 1;
  bool order_ok = true;
  auto expect_in_order = [&](uint64_t* next) {
    return [&, next](v1::Envelope&& e) {
      if (e.correlation_id() != *next) order_ok = false;
      ++*next;
    };
  };
  auto a = Connect(keys_a, expect_in_order(&next_a));
  auto b = Connect(keys_b, expect_in_order(&next_b));
  for (uint64_t i = 1; i <= kPerPeer; ++i) {
    a->Send(Numbered(i, "a"));
    b->Send(Numbered(i, "b"));
  }
  RunUntil([&] { return next_a > kPerPeer && next_b > kPerPeer; }, std::chrono::seconds(60));
  EXPECT_EQ(next_a - 1, kPerPeer);
  EXPECT_EQ(next_b - 1, kPerPeer);
  EXPECT_TRUE(order_ok);
  EXPECT_EQ(server_->stats().received, 2 * kPerPeer);
  EXPECT_EQ(auth_->admitted(), 2u);
}

TEST_F(RouterDealerTest, ClientOutsideAllowlistGetsNoAnswerAndIsCounted) {
  StartServer(/*curve=*/true);
  auto allowed_keys = *GenerateCurveKeyPair();
  auto stranger_keys = *GenerateCurveKeyPair();
  auth_->SetAllowlist({{allowed_keys.public_z85, "allowed"}});
  auto allowed = Connect(allowed_keys);
  auto stranger = Connect(stranger_keys);

  std::optional<Result<v1::Envelope>> allowed_answer, stranger_answer;
  stranger->Request(Numbered(0, "stranger"), std::chrono::milliseconds(1500),
                    [&](Result<v1::Envelope> r) { stranger_answer = std::move(r); });
  allowed->Request(Numbered(0, "allowed"), std::chrono::seconds(20),
                   [&](Result<v1::Envelope> r) { allowed_answer = std::move(r); });
  RunUntil([&] { return allowed_answer && stranger_answer; }, std::chrono::seconds(30));

  ASSERT_TRUE(allowed_answer.has_value());
  ASSERT_TRUE(allowed_answer->ok()) << allowed_answer->status().ToString();
  EXPECT_EQ((*allowed_answer)->sender(), "allowed");
  EXPECT_EQ(last_peer_key_, allowed_keys.public_z85);  // the server sees who spoke
  ASSERT_TRUE(stranger_answer.has_value());
  EXPECT_EQ(stranger_answer->status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_GE(auth_->refused(), 1u);
  EXPECT_EQ(server_->stats().received, 1u);
}

TEST_F(RouterDealerTest, UnknownMajorVersionGetsAClearErrorReply) {
  StartServer(/*curve=*/false);
  auto client = Connect(std::nullopt);
  v1::Envelope future = Numbered(0, "future");
  future.set_major_version(9);
  std::optional<Result<v1::Envelope>> answer;
  client->Request(future, std::chrono::seconds(20),
                  [&](Result<v1::Envelope> r) { answer = std::move(r); });
  RunUntil([&] { return answer.has_value(); }, std::chrono::seconds(30));
  ASSERT_TRUE(answer.has_value());
  ASSERT_FALSE(answer->ok());
  EXPECT_NE(answer->status().message().find("major version 9"), std::string::npos)
      << answer->status().ToString();
  EXPECT_EQ(server_->stats().version_mismatch, 1u);
}

TEST_F(RouterDealerTest, MalformedAndGarbageFramesAreDroppedAndCountedWithoutStalling) {
  StartServer(/*curve=*/false);
  zmq::socket_t raw(context_, zmq::socket_type::dealer);
  raw.set(zmq::sockopt::linger, 0);
  raw.connect(server_->bound_endpoint());
  std::vector<zmq::message_t> three;
  three.emplace_back(std::string("a"));
  three.emplace_back(std::string("b"));
  three.emplace_back(std::string("c"));
  zmq::send_multipart(raw, three);
  raw.send(zmq::buffer(std::string("\xff\xff\xff\xff\xff\xff", 6)));

  auto client = Connect(std::nullopt);
  std::optional<Result<v1::Envelope>> answer;
  // Sent after the garbage on another connection: answered once the server has moved past it.
  RunUntil(
      [&] {
        return server_->stats().dropped_undecodable + server_->stats().dropped_malformed == 2;
      },
      std::chrono::seconds(20));
  client->Request(Numbered(5, "ok"), std::chrono::seconds(20),
                  [&](Result<v1::Envelope> r) { answer = std::move(r); });
  RunUntil([&] { return answer.has_value(); }, std::chrono::seconds(30));
  EXPECT_EQ(server_->stats().dropped_malformed, 1u);
  EXPECT_EQ(server_->stats().dropped_undecodable, 1u);
  ASSERT_TRUE(answer.has_value());
  EXPECT_TRUE(answer->ok());
}

TEST_F(RouterDealerTest, OversizedMessageNeverReachesTheHandler) {
  RouterServerOptions options;
  options.endpoint = "tcp://127.0.0.1:*";
  options.max_message_bytes = 64 * 1024;
  int handled = 0;
  auto server = RouterServer::Create(io_, context_, options, [&](IncomingEnvelope&& in) {
    ++handled;
    server_->Send(in.routing_id, in.envelope);
  });
  ASSERT_TRUE(server.ok());
  server_ = std::move(*server);
  auto big_sender = Connect(std::nullopt);
  v1::Envelope big = Numbered(1, "big");
  big.mutable_hello()->set_agent_version(std::string(1 << 20, 'x'));
  big_sender->Send(big);
  auto client = Connect(std::nullopt);
  std::optional<Result<v1::Envelope>> answer;
  client->Request(Numbered(2, "small"), std::chrono::seconds(20),
                  [&](Result<v1::Envelope> r) { answer = std::move(r); });
  RunUntil([&] { return answer.has_value(); }, std::chrono::seconds(30));
  ASSERT_TRUE(answer.has_value());
  EXPECT_TRUE(answer->ok());
  EXPECT_EQ(handled, 1);  // only the small one
}

TEST_F(RouterDealerTest, RequestTimesOutWhenNobodyAnswers) {
  // Nothing listens on this endpoint: ZeroMQ keeps retrying the connection, the request expires.
  DealerClientOptions options;
  options.endpoint = "tcp://127.0.0.1:1";
  auto client = DealerClient::Create(io_, context_, options, [](v1::Envelope&&) {});
  ASSERT_TRUE(client.ok());
  std::optional<Result<v1::Envelope>> answer;
  (*client)->Request(Numbered(1, "x"), std::chrono::milliseconds(50),
                     [&](Result<v1::Envelope> r) { answer = std::move(r); });
  RunUntil([&] { return answer.has_value(); }, std::chrono::seconds(10));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ((*client)->stats().requests_timed_out, 1u);
  EXPECT_EQ((*client)->pending_requests(), 0u);
}

}  // namespace
}  // namespace apsis::transport
