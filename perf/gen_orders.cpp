// switchyard-orders: writes the capture of a deterministic strategy client (UFO login, OUCH 4.2
// Enter/Cancel/Replace orders, some breaching risk limits on purpose) as Ethernet/IPv4/UDP
// frames toward the appliance, and beside it the ground truth (perf/traffic/order_flow.hpp).
//
// Exit codes: 0 written, 1 I/O failure, 2 bad arguments.

#include <arpa/inet.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "perf/traffic/cli.hpp"
#include "perf/traffic/frame_builder.hpp"
#include "perf/traffic/order_flow.hpp"
#include "perf/traffic/pcap_file.hpp"

namespace {

using sy::traffic::cli::parse_uint;
using sy::traffic::cli::UsageError;

constexpr const char* kUsage =
    "usage: switchyard-orders --orders N --seed S --out FILE.pcap\n"
    "         [--cross P] [--cancel P] [--replace P] [--breach P]   (percents)\n"
    "         [--max-shares N] [--max-notional N (Price(4) x shares)] [--collar-bps N]\n"
    "         [--instruments SYM=PRICE4,SYM=PRICE4,...] [--username U] [--password P]\n"
    "         [--start-ns NS] [--interval-ns NS]\n"
    "         [--src-mac M] [--dst-mac M] [--src-ip A] [--dst-ip A] [--src-port P] "
    "[--dst-port P]\n"
    "Writes FILE.pcap (nanosecond pcap, Ethernet; client -> appliance UFO datagrams) and\n"
    "FILE.truth.json (counts of what was sent and what a venue simulator should answer).\n";

struct Options {
  bool help = false;
  std::string out;
  sy::traffic::OrderFlowSpec spec;
  sy::traffic::UdpSpec udp;
};

uint32_t parse_ip(const std::string& option, const std::string& text) {
  in_addr a{};
  if (inet_pton(AF_INET, text.c_str(), &a) != 1)
    throw UsageError(option + ": '" + text + "' is not an IPv4 address");
  return ntohl(a.s_addr);
}

sy::conf::MacAddress parse_mac(const std::string& option, const std::string& text) {
  sy::conf::MacAddress m{};
  unsigned v[6];
  char tail = 0;
  if (std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                  &tail) != 6)
    throw UsageError(option + ": '" + text + "' is not a MAC address (aa:bb:cc:dd:ee:ff)");
  for (int i = 0; i < 6; ++i) {
    if (v[i] > 0xff) throw UsageError(option + ": '" + text + "' is not a MAC address");
    m[i] = static_cast<uint8_t>(v[i]);
  }
  return m;
}

std::vector<sy::traffic::OrderFlowInstrument> parse_instruments(const std::string& text) {
  std::vector<sy::traffic::OrderFlowInstrument> v;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    const std::string item = text.substr(pos, comma - pos);
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq > 8)
      throw UsageError("--instruments: expected SYM=PRICE4 (symbol of 1..8 chars), got '" + item +
                       "'");
    v.push_back({item.substr(0, eq), static_cast<uint32_t>(parse_uint(
                                         "--instruments", item.substr(eq + 1), UINT32_MAX))});
    pos = comma + 1;
  }
  return v;
}

Options parse_args(int argc, char** argv) {
  Options o;
  o.udp.eth.src = {0x02, 0, 0, 0, 0x10, 0x01};
  o.udp.eth.dst = {0x02, 0, 0, 0, 0x00, 0x01};
  o.udp.ip.src = 0x0A000A01;  // 10.0.10.1
  o.udp.ip.dst = 0x0A000001;  // 10.0.0.1
  o.udp.src_port = 50001;
  o.udp.dst_port = 15001;
  bool have_orders = false, have_seed = false;
  sy::traffic::cli::Args args(argc, argv);
  auto percent = [&](const std::string& name, const std::string& v) {
    return static_cast<uint32_t>(parse_uint(name, v, 100));
  };
  while (args.next()) {
    const std::string name = args.name();
    if (name == "--help" || name == "-h") {
      o.help = true;
    } else if (name == "--orders") {
      o.spec.orders = static_cast<uint32_t>(parse_uint(name, args.value(), UINT32_MAX));
      have_orders = true;
    } else if (name == "--seed") {
      o.spec.seed = args.u64();
      have_seed = true;
    } else if (name == "--out") {
      o.out = args.value();
    } else if (name == "--cross") {
      o.spec.cross_percent = percent(name, args.value());
    } else if (name == "--cancel") {
      o.spec.cancel_percent = percent(name, args.value());
    } else if (name == "--replace") {
      o.spec.replace_percent = percent(name, args.value());
    } else if (name == "--breach") {
      o.spec.breach_percent = percent(name, args.value());
    } else if (name == "--max-shares") {
      o.spec.max_shares = args.u32();
    } else if (name == "--max-notional") {
      o.spec.max_notional = args.u64();
    } else if (name == "--collar-bps") {
      o.spec.collar_bps = args.u32();
    } else if (name == "--instruments") {
      o.spec.instruments = parse_instruments(args.value());
    } else if (name == "--username") {
      o.spec.username = args.value();
    } else if (name == "--password") {
      o.spec.password = args.value();
    } else if (name == "--start-ns") {
      o.spec.start_ns = args.u64();
    } else if (name == "--interval-ns") {
      o.spec.interval_ns = args.u64();
    } else if (name == "--src-mac") {
      o.udp.eth.src = parse_mac(name, args.value());
    } else if (name == "--dst-mac") {
      o.udp.eth.dst = parse_mac(name, args.value());
    } else if (name == "--src-ip") {
      o.udp.ip.src = parse_ip(name, args.value());
    } else if (name == "--dst-ip") {
      o.udp.ip.dst = parse_ip(name, args.value());
    } else if (name == "--src-port") {
      o.udp.src_port = static_cast<uint16_t>(parse_uint(name, args.value(), UINT16_MAX));
    } else if (name == "--dst-port") {
      o.udp.dst_port = static_cast<uint16_t>(parse_uint(name, args.value(), UINT16_MAX));
    } else {
      throw UsageError("unknown argument '" + name + "'");
    }
  }
  if (o.help) return o;
  if (!have_orders) throw UsageError("--orders is required");
  if (!have_seed) throw UsageError("--seed is required");
  if (o.out.empty()) throw UsageError("--out is required");
  return o;
}

std::string truth_path(const std::string& pcap_path) {
  const std::string ext = ".pcap";
  if (pcap_path.size() > ext.size() &&
      pcap_path.compare(pcap_path.size() - ext.size(), ext.size(), ext) == 0)
    return pcap_path.substr(0, pcap_path.size() - ext.size()) + ".truth.json";
  return pcap_path + ".truth.json";
}

int run(const Options& o) {
  sy::traffic::OrderFlow flow;
  try {
    flow = sy::traffic::generate_order_flow(o.spec);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "switchyard-orders: %s\n", e.what());
    return 2;
  }
  sy::traffic::PcapWriter pcap(o.out);
  sy::traffic::UdpSpec udp = o.udp;
  for (const auto& d : flow.datagrams) {
    pcap.write(d.timestamp_ns, sy::traffic::build_udp(udp, d.payload));
    ++udp.ip.id;
  }
  pcap.close();
  const std::string truth_file = truth_path(o.out);
  const std::string text = flow.truth.to_json().dump(2) + "\n";
  errno = 0;
  std::FILE* f = std::fopen(truth_file.c_str(), "wb");
  if (!f) throw std::runtime_error(truth_file + ": cannot create: " + std::strerror(errno));
  const bool wrote = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !wrote) throw std::runtime_error(truth_file + ": cannot write");
  const auto& t = flow.truth;
  std::printf(
      "switchyard-orders: %llu datagrams (%llu enters: %llu clean, %llu breaching; %llu cancels, "
      "%llu replaces), seed %llu -> %s, %s\n",
      static_cast<unsigned long long>(t.datagrams), static_cast<unsigned long long>(t.enters),
      static_cast<unsigned long long>(t.clean), static_cast<unsigned long long>(t.breaching),
      static_cast<unsigned long long>(t.cancels), static_cast<unsigned long long>(t.replaces),
      static_cast<unsigned long long>(t.seed), o.out.c_str(), truth_file.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return sy::traffic::cli::run_tool<Options>("switchyard-orders", kUsage, argc, argv, parse_args,
                                             run);
}
