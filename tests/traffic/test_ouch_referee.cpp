// Referee for the order-entry codecs: a capture of UFO datagrams carrying every OUCH 4.2 type we
// encode (both directions) and every UFO packet type, written with our encoders, is decoded by
// tshark with SY_SHARED_DIR/tools/wireshark/ufo.lua, which hands each message to Wireshark's own
// OUCH dissector (docs protocols.md §6). Every field tshark shows must be one we expect for that
// type, every field we expect must be shown, its displayed value must equal the value we encoded
// (from our structs, formatted independently of the encoder) and its raw bytes must be the bytes
// at that position of our frame.
//
// Skips when tshark or SY_SHARED_DIR's ufo.lua is absent, unless CI=true, where that fails.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "perf/traffic/frame_builder.hpp"
#include "perf/traffic/pcap_file.hpp"
#include "src/proto/ouch42.hpp"
#include "src/proto/ufo.hpp"

namespace sy::traffic {
namespace {

using namespace sy::proto;
using Fields = std::map<std::string, std::string>;  // field name -> shown value

constexpr uint16_t kVenuePort = 15001;
constexpr uint16_t kClientPort = 50001;

struct FrameSpec {
  bool upstream;
  std::vector<uint8_t> payload;  // UFO datagram
  Fields expect;                 // every ufo.* / ouch.* field tshark must show, and nothing else
};

std::string chr(uint8_t c) { return std::string("'") + static_cast<char>(c) + "'"; }
template <size_t N>
std::string alpha(const std::array<char, N>& a) {
  return std::string(a.data(), N);
}
std::string num(uint64_t v) { return std::to_string(v); }
// Wireshark shows the OUCH timestamp as time of day: H:MM:SS.nnnnnnnnn.
std::string tod(uint64_t ns) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu.%09llu",
                static_cast<unsigned long long>(ns / 3'600'000'000'000ULL),
                static_cast<unsigned long long>(ns / 60'000'000'000ULL % 60),
                static_cast<unsigned long long>(ns / 1'000'000'000ULL % 60),
                static_cast<unsigned long long>(ns % 1'000'000'000ULL));
  return buf;
}

std::vector<uint8_t> upstream_u(const uint8_t* msg, size_t n) {
  uint8_t buf[kUfoMaxPacket];
  UfoUpWriter w(buf, sizeof buf);
  EXPECT_TRUE(w.add_unsequenced({msg, n}));
  return {buf, buf + w.size()};
}

std::vector<uint8_t> downstream_s(uint32_t seq, const uint8_t* msg, size_t n) {
  uint8_t buf[kUfoMaxPacket];
  UfoSequencedWriter w(buf, sizeof buf, seq);
  EXPECT_TRUE(w.add({msg, n}));
  return {buf, buf + w.size()};
}

// ---- expected fields per OUCH type, from our structs

Fields enter_fields(const EnterOrder& m) {
  Fields f{{"ouch.packet_type", chr('O')},
           {"ouch.order_token", alpha(m.token)},
           {"ouch.buy_sell_indicator", chr(m.side)},
           {"ouch.shares", num(m.shares)},
           {"ouch.stock", alpha(m.stock)},
           {"ouch.price", num(m.price)},
           {"ouch.tif", num(m.time_in_force)},
           {"ouch.firm", alpha(m.firm)},
           {"ouch.display", chr(m.display)},
           {"ouch.capacity", chr(m.capacity)},
           {"ouch.iso_eligible", chr(m.intermarket_sweep)},
           {"ouch.min_quantity", num(m.minimum_quantity)},
           {"ouch.cross_type", chr(m.cross_type)}};
  if (m.has_customer_type) f["ouch.customer_type"] = chr(m.customer_type);
  return f;
}

std::vector<FrameSpec> build_frames() {
  std::vector<FrameSpec> frames;
  uint8_t msg[kOuchMaxLen];
  const OuchToken tok = make_token("TOKEN000000001");
  const OuchToken tok2 = make_token("TOKEN000000002");
  const OuchStock stock = make_stock("AAPL");
  uint64_t ts = 34'200'000'000'500ULL;  // 09:30:00.000000500
  uint32_t seq = 1;

  // Session: login, accept.
  {
    uint8_t buf[64];
    UfoUpWriter w(buf, sizeof buf);
    w.add_login(
        {make_ufo_username("USER01"), make_ufo_password("PASSWORD01"), make_ufo_session("")});
    frames.push_back({true,
                      {buf, buf + w.size()},
                      {{"ufo.msglen", "27"},
                       {"ufo.msg_type", "L"},
                       {"ufo.username", "USER01"},
                       {"ufo.password", "PASSWORD01"},
                       {"ufo.req_session", "          "}}});
    const size_t n = build_ufo_login_accept(buf, sizeof buf, make_ufo_session("SESSION001"), seq);
    frames.push_back({false,
                      {buf, buf + n},
                      {{"ufo.packet_type", "A"}, {"ufo.session", "SESSION001"}, {"ufo.seq", "1"}}});
  }
  auto up = [&](size_t n, Fields f) {
    f["ufo.msglen"] = num(n + 1);
    f["ufo.msg_type"] = "U";
    frames.push_back({true, upstream_u(msg, n), std::move(f)});
  };
  auto down = [&](size_t n, Fields f) {
    f["ufo.packet_type"] = "S";
    f["ufo.seq"] = num(seq);
    f["ufo.count"] = "1";
    f["ufo.msglen"] = num(n);
    f["ufo.msgseq"] = num(seq);
    f["ouch.timestamp"] = tod(ts);
    frames.push_back({false, downstream_s(seq, msg, n), std::move(f)});
    ++seq;
    ts += 1'234'567;
  };

  // ---- client -> host
  EnterOrder o{};
  o.token = tok;
  o.side = 'B';
  o.shares = 100;
  o.stock = stock;
  o.price = 1'895'000;
  o.time_in_force = kOuchTifMarketHours;
  o.firm = make_firm("FIRM");
  o.display = 'Y';
  o.capacity = 'A';
  o.intermarket_sweep = 'N';
  o.minimum_quantity = 7;
  o.cross_type = 'N';
  o.has_customer_type = true;
  o.customer_type = 'R';
  up(encode(o, msg, sizeof msg), enter_fields(o));
  o.has_customer_type = false;  // the 48-byte form
  o.token = tok2;
  up(encode(o, msg, sizeof msg), enter_fields(o));

  ReplaceOrder r{};
  r.existing_token = tok;
  r.replacement_token = tok2;
  r.shares = 150;
  r.price = 1'895'100;
  r.time_in_force = 0;
  r.display = 'A';
  r.intermarket_sweep = 'Y';
  r.minimum_quantity = 0;
  up(encode(r, msg, sizeof msg), {{"ouch.packet_type", chr('U')},
                                  {"ouch.existing_order_token", alpha(r.existing_token)},
                                  {"ouch.replacement_order_token", alpha(r.replacement_token)},
                                  {"ouch.shares", num(r.shares)},
                                  {"ouch.price", num(r.price)},
                                  {"ouch.tif", num(r.time_in_force)},
                                  {"ouch.display", chr(r.display)},
                                  {"ouch.iso_eligible", chr(r.intermarket_sweep)},
                                  {"ouch.min_quantity", num(r.minimum_quantity)}});

  CancelOrder x{tok2, 40};
  up(encode(x, msg, sizeof msg), {{"ouch.packet_type", chr('X')},
                                  {"ouch.order_token", alpha(x.token)},
                                  {"ouch.shares", num(x.shares)}});

  ModifyOrder mo{tok2, 'T', 90};
  up(encode(mo, msg, sizeof msg), {{"ouch.packet_type", chr('M')},
                                   {"ouch.order_token", alpha(mo.token)},
                                   {"ouch.buy_sell_indicator", chr(mo.side)},
                                   {"ouch.shares", num(mo.shares)}});

  // ---- host -> client
  down(encode(SystemEvent{ts, 'S'}, msg, sizeof msg),
       {{"ouch.packet_type", chr('S')}, {"ouch.event_code", chr('S')}});

  Accepted a{};
  a.timestamp_ns = ts;
  a.token = tok;
  a.side = 'S';
  a.shares = 100;
  a.stock = stock;
  a.price = 1'895'000;
  a.time_in_force = kOuchTifSystemHours;
  a.firm = make_firm("FIRM");
  a.display = 'Y';
  a.order_reference = 987'654'321'012ULL;
  a.capacity = 'P';
  a.intermarket_sweep = 'N';
  a.minimum_quantity = 3;
  a.cross_type = 'N';
  a.order_state = 'L';
  a.bbo_weight = '1';
  down(encode(a, msg, sizeof msg), {{"ouch.packet_type", chr('A')},
                                    {"ouch.order_token", alpha(a.token)},
                                    {"ouch.buy_sell_indicator", chr(a.side)},
                                    {"ouch.shares", num(a.shares)},
                                    {"ouch.stock", alpha(a.stock)},
                                    {"ouch.price", num(a.price)},
                                    {"ouch.tif", num(a.time_in_force)},
                                    {"ouch.firm", alpha(a.firm)},
                                    {"ouch.display", chr(a.display)},
                                    {"ouch.order_reference_number", num(a.order_reference)},
                                    {"ouch.capacity", chr(a.capacity)},
                                    {"ouch.iso_eligible", chr(a.intermarket_sweep)},
                                    {"ouch.min_quantity", num(a.minimum_quantity)},
                                    {"ouch.cross_type", chr(a.cross_type)},
                                    {"ouch.order_state", chr(a.order_state)},
                                    {"ouch.bbo_weight_indicator", chr(a.bbo_weight)}});

  Replaced u{};
  u.timestamp_ns = ts;
  u.replacement_token = tok2;
  u.side = 'S';
  u.shares = 150;
  u.stock = stock;
  u.price = 1'895'100;
  u.time_in_force = kOuchTifMarketHours;
  u.firm = make_firm("FIRM");
  u.display = 'Y';
  u.order_reference = 987'654'321'013ULL;
  u.capacity = 'A';
  u.intermarket_sweep = 'N';
  u.minimum_quantity = 0;
  u.cross_type = 'N';
  u.order_state = 'L';
  u.previous_token = tok;
  u.bbo_weight = ' ';
  down(encode(u, msg, sizeof msg), {{"ouch.packet_type", chr('U')},
                                    {"ouch.replacement_order_token", alpha(u.replacement_token)},
                                    {"ouch.buy_sell_indicator", chr(u.side)},
                                    {"ouch.shares", num(u.shares)},
                                    {"ouch.stock", alpha(u.stock)},
                                    {"ouch.price", num(u.price)},
                                    {"ouch.tif", num(u.time_in_force)},
                                    {"ouch.firm", alpha(u.firm)},
                                    {"ouch.display", chr(u.display)},
                                    {"ouch.order_reference_number", num(u.order_reference)},
                                    {"ouch.capacity", chr(u.capacity)},
                                    {"ouch.iso_eligible", chr(u.intermarket_sweep)},
                                    {"ouch.min_quantity", num(u.minimum_quantity)},
                                    {"ouch.cross_type", chr(u.cross_type)},
                                    {"ouch.order_state", chr(u.order_state)},
                                    {"ouch.previous_order_token", alpha(u.previous_token)},
                                    {"ouch.bbo_weight_indicator", chr(u.bbo_weight)}});

  Canceled c{ts, tok2, 60, 'U'};
  down(encode(c, msg, sizeof msg), {{"ouch.packet_type", chr('C')},
                                    {"ouch.order_token", alpha(c.token)},
                                    {"ouch.decrement_shares", num(c.decrement_shares)},
                                    {"ouch.cancel_reason", chr(c.reason)}});

  AiqCanceled d{ts, tok, 50, 'Q', 45, 1'895'000, 'A'};
  down(encode(d, msg, sizeof msg),
       {{"ouch.packet_type", chr('D')},
        {"ouch.order_token", alpha(d.token)},
        {"ouch.decrement_shares", num(d.decrement_shares)},
        {"ouch.cancel_reason", chr(d.reason)},
        {"ouch.quantity_prevented_from_trading", num(d.quantity_prevented)},
        {"ouch.execution_price", num(d.execution_price)},
        {"ouch.liquidity_flag", chr(d.liquidity_flag)}});

  Executed e{ts, tok, 60, 1'895'100, 'R', 55'555};
  down(encode(e, msg, sizeof msg), {{"ouch.packet_type", chr('E')},
                                    {"ouch.order_token", alpha(e.token)},
                                    {"ouch.executed_shares", num(e.executed_shares)},
                                    {"ouch.execution_price", num(e.execution_price)},
                                    {"ouch.liquidity_flag", chr(e.liquidity_flag)},
                                    {"ouch.match_number", num(e.match_number)}});

  BrokenTrade bt{ts, tok, 55'555, 'E'};
  down(encode(bt, msg, sizeof msg), {{"ouch.packet_type", chr('B')},
                                     {"ouch.order_token", alpha(bt.token)},
                                     {"ouch.match_number", num(bt.match_number)},
                                     {"ouch.broken_trade_reason", chr(bt.reason)}});

  // One Rejected per reason code we name, so every code reaches the referee.
  for (uint8_t reason : std::string_view("THZSDCLMRXNOWabcdefghijklmn")) {
    Rejected j{ts, tok, reason};
    down(encode(j, msg, sizeof msg), {{"ouch.packet_type", chr('J')},
                                      {"ouch.order_token", alpha(j.token)},
                                      {"ouch.reject_reason", chr(j.reason)}});
  }

  CancelPending p{ts, tok};
  down(encode(p, msg, sizeof msg),
       {{"ouch.packet_type", chr('P')}, {"ouch.order_token", alpha(p.token)}});
  CancelReject i{ts, tok2};
  down(encode(i, msg, sizeof msg),
       {{"ouch.packet_type", chr('I')}, {"ouch.order_token", alpha(i.token)}});

  PriorityUpdate t{ts, tok, 1'894'900, 'A', 987'654'321'014ULL};
  down(encode(t, msg, sizeof msg), {{"ouch.packet_type", chr('T')},
                                    {"ouch.order_token", alpha(t.token)},
                                    {"ouch.price", num(t.price)},
                                    {"ouch.display", chr(t.display)},
                                    {"ouch.order_reference_number", num(t.order_reference)}});

  OrderModified m{ts, tok2, 'E', 80};
  down(encode(m, msg, sizeof msg), {{"ouch.packet_type", chr('M')},
                                    {"ouch.order_token", alpha(m.token)},
                                    {"ouch.buy_sell_indicator", chr(m.side)},
                                    {"ouch.shares", num(m.shares)}});

  ExecutedWithReference g{ts, tok, 10, 1'895'000, 'R', 55'556, 1'895'050, 'I'};
  down(encode(g, msg, sizeof msg), {{"ouch.packet_type", chr('G')},
                                    {"ouch.order_token", alpha(g.token)},
                                    {"ouch.executed_shares", num(g.executed_shares)},
                                    {"ouch.execution_price", num(g.execution_price)},
                                    {"ouch.liquidity_flag", chr(g.liquidity_flag)},
                                    {"ouch.match_number", num(g.match_number)},
                                    {"ouch.reference_price", num(g.reference_price)},
                                    // Wireshark shows this byte as a number ('I' = 73).
                                    {"ouch.reference_price_type", num(g.reference_price_type)}});

  TradeCorrection f{ts, tok, 10, 1'895'000, 'A', 55'557, 'N'};
  down(encode(f, msg, sizeof msg), {{"ouch.packet_type", chr('F')},
                                    {"ouch.order_token", alpha(f.token)},
                                    {"ouch.executed_shares", num(f.executed_shares)},
                                    {"ouch.execution_price", num(f.execution_price)},
                                    {"ouch.liquidity_flag", chr(f.liquidity_flag)},
                                    {"ouch.match_number", num(f.match_number)},
                                    {"ouch.trade_correction_reason", chr(f.reason)}});

  PriceCorrection k{ts, tok, 55'555, 1'894'900, 'C'};
  down(encode(k, msg, sizeof msg), {{"ouch.packet_type", chr('K')},
                                    {"ouch.order_token", alpha(k.token)},
                                    {"ouch.match_number", num(k.match_number)},
                                    {"ouch.new_execution_price", num(k.new_execution_price)},
                                    {"ouch.price_correction_reason", chr(k.reason)}});

  // Session upkeep both ways.
  {
    uint8_t buf[64];
    size_t n = build_ufo_heartbeat(buf, sizeof buf, seq);
    frames.push_back({false,
                      {buf, buf + n},
                      {{"ufo.packet_type", "S"}, {"ufo.seq", num(seq)}, {"ufo.count", "0"}}});
    UfoUpWriter w(buf, sizeof buf);
    w.add_retransmission_request(3, 5);
    w.add_heartbeat();
    frames.push_back({true,
                      {buf, buf + w.size()},
                      {{"ufo.msglen", "7|1"},
                       {"ufo.msg_type", "T|R"},
                       {"ufo.retx_seq", "3"},
                       {"ufo.retx_count", "5"}}});
    n = build_ufo_end_of_session(buf, sizeof buf, seq - 1);
    frames.push_back(
        {false, {buf, buf + n}, {{"ufo.packet_type", "E"}, {"ufo.eos_count", num(seq - 1)}}});
    UfoUpWriter lo(buf, sizeof buf);
    lo.add_logoff();
    frames.push_back({true, {buf, buf + lo.size()}, {{"ufo.msglen", "1"}, {"ufo.msg_type", "O"}}});
    n = build_ufo_login_reject(buf, sizeof buf, 'S');
    frames.push_back({false, {buf, buf + n}, {{"ufo.packet_type", "J"}, {"ufo.reject_code", "S"}}});
  }
  return frames;
}

// ---- PDML reading (enough for tshark's own output)

std::string attr(const std::string& line, const char* name) {
  const std::string key = std::string(" ") + name + "=\"";
  const size_t at = line.find(key);
  if (at == std::string::npos) return {};
  const size_t start = at + key.size();
  const size_t end = line.find('"', start);
  std::string raw = line.substr(start, end - start);
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '&') {
      out.push_back(raw[i]);
      continue;
    }
    const size_t semi = raw.find(';', i);
    const std::string ent = raw.substr(i + 1, semi - i - 1);
    if (ent == "amp")
      out.push_back('&');
    else if (ent == "lt")
      out.push_back('<');
    else if (ent == "gt")
      out.push_back('>');
    else if (ent == "quot")
      out.push_back('"');
    else if (ent == "apos")
      out.push_back('\'');
    else if (ent.size() > 2 && ent[0] == '#' && ent[1] == 'x')
      out.push_back(static_cast<char>(std::stoi(ent.substr(2), nullptr, 16)));
    else if (!ent.empty() && ent[0] == '#')
      out.push_back(static_cast<char>(std::stoi(ent.substr(1))));
    i = semi;
  }
  return out;
}

struct Shown {
  std::string show;
  std::string value;  // hex
  size_t pos = 0;
};

// Per frame: field name -> every occurrence.
using FrameFields = std::map<std::string, std::vector<Shown>>;

std::vector<FrameFields> run_tshark(const std::string& lua, const std::string& pcap,
                                    std::string& error) {
  const std::string cmd = "tshark -X lua_script:'" + lua + "' -r '" + pcap +
                          "' -d udp.port==" + std::to_string(kVenuePort) + ",ufo -T pdml 2>&1";
  std::FILE* p = popen(cmd.c_str(), "r");
  std::vector<FrameFields> frames;
  if (p == nullptr) {
    error = "popen failed";
    return frames;
  }
  std::string line;
  char buf[4096];
  std::string all;
  while (std::fgets(buf, sizeof buf, p) != nullptr) all += buf;
  const int status = pclose(p);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) error = "tshark failed: " + all;
  size_t start = 0;
  while (start < all.size()) {
    const size_t nl = all.find('\n', start);
    line = all.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    start = nl == std::string::npos ? all.size() : nl + 1;
    if (line.find("<packet>") != std::string::npos) frames.emplace_back();
    if (frames.empty() || line.find("<field ") == std::string::npos) continue;
    const std::string name = attr(line, "name");
    if (name.rfind("ouch.", 0) != 0 && name.rfind("ufo.", 0) != 0) continue;
    frames.back()[name].push_back({attr(line, "show"), attr(line, "value"),
                                   static_cast<size_t>(std::stoul(attr(line, "pos")))});
  }
  return frames;
}

bool have_tshark() { return std::system("tshark --version > /dev/null 2>&1") == 0; }

TEST(OuchReferee, TsharkShowsWhatWeEncoded) {
  const char* shared = std::getenv("SY_SHARED_DIR");
  const char* ci = std::getenv("CI");
  const bool in_ci = ci != nullptr && std::string_view(ci) == "true";
  const std::filesystem::path lua =
      shared == nullptr ? std::filesystem::path()
                        : std::filesystem::path(shared) / "tools" / "wireshark" / "ufo.lua";
  if (shared == nullptr || !std::filesystem::exists(lua) || !have_tshark()) {
    if (in_ci) FAIL() << "CI=true but tshark or SY_SHARED_DIR/tools/wireshark/ufo.lua is missing";
    GTEST_SKIP() << "tshark or SY_SHARED_DIR/tools/wireshark/ufo.lua not found (CI=true fails)";
  }

  const std::vector<FrameSpec> specs = build_frames();
  const std::string pcap = (std::filesystem::temp_directory_path() /
                            ("sy_ouch_referee_" + std::to_string(getpid()) + ".pcap"))
                               .string();
  std::vector<Frame> written;
  {
    PcapWriter w(pcap);
    UdpSpec client, venue;
    client.eth = {{2, 0, 0, 0, 0, 2}, {2, 0, 0, 0, 0, 1}};
    client.ip.src = 0x0A000001;
    client.ip.dst = 0x0A000002;
    client.src_port = kClientPort;
    client.dst_port = kVenuePort;
    venue.eth = {{2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}};
    venue.ip.src = 0x0A000002;
    venue.ip.dst = 0x0A000001;
    venue.src_port = kVenuePort;
    venue.dst_port = kClientPort;
    uint64_t t = 1'700'000'000'000'000'000ULL;
    for (const auto& s : specs) {
      written.push_back(build_udp(s.upstream ? client : venue, s.payload));
      w.write(t += 1'000'000, written.back());
    }
    w.close();
  }
  std::string error;
  const auto shown = run_tshark(lua.string(), pcap, error);
  std::filesystem::remove(pcap);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_EQ(shown.size(), specs.size());

  static constexpr char kHex[] = "0123456789abcdef";
  size_t checked = 0;
  std::map<std::string, int> types_seen;
  for (size_t i = 0; i < specs.size(); ++i) {
    SCOPED_TRACE("frame " + std::to_string(i + 1));
    const Fields& want = specs[i].expect;
    const FrameFields& got = shown[i];
    // ufo.data would mean the OUCH dissector did not recognise the message.
    EXPECT_EQ(got.count("ufo.data"), 0u);
    for (const auto& [name, occurrences] : got) {
      if (name == "ufo.data") continue;
      const auto w = want.find(name);
      if (w == want.end()) {
        ADD_FAILURE() << "tshark shows unexpected field " << name << " = "
                      << occurrences.front().show;
        continue;
      }
      std::string joined;
      for (const auto& o : occurrences) joined += (joined.empty() ? "" : "|") + o.show;
      EXPECT_EQ(joined, w->second) << name;
      // Raw bytes: what tshark read at `pos` is what we wrote there.
      for (const auto& o : occurrences) {
        std::string ours;
        for (size_t b = 0; b < o.value.size() / 2 && o.pos + b < written[i].size(); ++b) {
          ours.push_back(kHex[written[i][o.pos + b] >> 4]);
          ours.push_back(kHex[written[i][o.pos + b] & 15]);
        }
        EXPECT_EQ(o.value, ours) << name;
      }
      ++checked;
    }
    for (const auto& [name, value] : want)
      EXPECT_EQ(got.count(name), 1u)
          << "tshark does not show " << name << " (want " << value << ")";
    if (auto t = want.find("ouch.packet_type"); t != want.end())
      ++types_seen[(specs[i].upstream ? "in " : "out ") + t->second];
  }
  // 4 client types and 15 host types, every Rejected reason on its own frame.
  EXPECT_EQ(types_seen.size(), 19u);
  EXPECT_GT(checked, 300u);
  std::printf("referee: %zu frames, %zu field values checked against tshark\n", specs.size(),
              checked);
}

}  // namespace
}  // namespace sy::traffic
