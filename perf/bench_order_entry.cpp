// switchyard-bench-order-entry: the per-message cost of the order-entry protocol layer on one
// core, without DPDK: a UFO server session receiving one Unsequenced block carrying an OUCH 4.2
// Enter Order and decoding it, then sending Accepted messages as sequenced packets (kept for
// retransmission). Prints ns per message for each; --messages N (default 20,000,000).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "src/proto/ouch42.hpp"
#include "src/proto/ufo.hpp"
#include "src/session/ufo_session.hpp"

using namespace sy;

int main(int argc, char** argv) {
  long n = 20'000'000;
  if (argc == 3 && std::strcmp(argv[1], "--messages") == 0) n = std::atol(argv[2]);
  if (n <= 0 || (argc != 1 && argc != 3)) {
    std::fprintf(stderr, "usage: switchyard-bench-order-entry [--messages N]\n");
    return 2;
  }
  session::ServerConfig cfg;
  cfg.session = proto::make_ufo_session("BENCH00001");
  cfg.username = proto::make_ufo_username("USER01");
  cfg.password = proto::make_ufo_password("SECRET1234");
  session::UfoServerSession server(cfg);
  static session::Output out;
  const session::Endpoint client{{2, 0, 0, 0, 0, 1}, 0x0A000001, 50001};
  uint8_t login[64];
  proto::UfoUpWriter lw(login, sizeof login);
  lw.add_login({cfg.username, cfg.password, proto::make_ufo_session("")});
  if (server.on_datagram(0, client, login, lw.size(), out) != session::Verdict::ok) return 1;

  proto::EnterOrder order{};
  order.token = proto::make_token("BENCH000000001");
  order.side = 'B';
  order.shares = 100;
  order.stock = proto::make_stock("AAPL");
  order.price = 1'895'000;
  order.has_customer_type = true;
  uint8_t msg[proto::kOuchMaxLen];
  const size_t msg_len = proto::encode(order, msg, sizeof msg);
  uint8_t datagram[128];
  proto::UfoUpWriter dw(datagram, sizeof datagram);
  dw.add_unsequenced({msg, msg_len});

  uint64_t check = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) {
    server.on_datagram(static_cast<uint64_t>(i), client, datagram, dw.size(), out);
    proto::OuchClientMessage m;
    proto::OeError e;
    if (proto::decode_client(out.events[0].data, out.events[0].len, m, e))
      check += m.enter_order.shares;
  }
  const auto t1 = std::chrono::steady_clock::now();
  proto::Accepted accepted{};
  accepted.token = order.token;
  uint8_t acc[proto::kOuchMaxLen];
  const size_t acc_len = proto::encode(accepted, acc, sizeof acc);
  uint8_t wire[proto::kUfoMaxPacket];
  for (long i = 0; i < n; ++i)
    check += server.send_sequenced(static_cast<uint64_t>(i), {acc, acc_len}, wire, sizeof wire).len;
  const auto t2 = std::chrono::steady_clock::now();
  const double rx = std::chrono::duration<double, std::nano>(t1 - t0).count() / double(n);
  const double tx = std::chrono::duration<double, std::nano>(t2 - t1).count() / double(n);
  std::printf(
      "messages %ld: rx datagram + OUCH decode %.1f ns/msg, send_sequenced %.1f ns/msg "
      "(check %llu)\n",
      n, rx, tx, static_cast<unsigned long long>(check));
  return check == 0 ? 1 : 0;
}
