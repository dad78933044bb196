// switchyard-store: reads a store directory written by the storage lcore. Never modifies it
// (every file is opened read-only).
//
//   verify DIR [--json]                         every segment; exit 1 if anything is corrupt
//   export-pcap DIR -o FILE [--from NS] [--to NS] [--port NAME|INDEX]
//                                               raw packets as one pcapng file
//   dump DIR --format csv|jsonl [--instrument LOCATE] [--from NS] [--to NS] [--type T]
//            [--feed N] [-o FILE]               canonical records
//   stats DIR [--json]                          per stream: segments, records, bytes, time span
//
// Exit codes: 0 fine, 1 corrupt store or failed operation, 2 usage error.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "storage/format.hpp"
#include "storage/scan.hpp"

namespace {

using namespace sy::storage;

constexpr int kOk = 0, kFail = 1, kUsage = 2;

const char* kUsageText =
    "usage: switchyard-store COMMAND DIR [options]\n"
    "  verify DIR [--json]\n"
    "      check every segment (pcapng block chains and CRCs, canonical page CRCs);\n"
    "      exit 1 if any segment is corrupt or has an unreadable tail\n"
    "  export-pcap DIR -o FILE [--from NS] [--to NS] [--port NAME|INDEX]\n"
    "      write the raw packets (received and sent) as one pcapng file\n"
    "  dump DIR --format csv|jsonl [--instrument LOCATE] [--from NS] [--to NS]\n"
    "       [--type KIND|LETTER] [--feed N] [-o FILE]\n"
    "      print canonical records; times are UTC nanoseconds of receipt\n"
    "  stats DIR [--json]\n"
    "      segments, records, bytes, padding, time span and sequence gaps per stream\n"
    "The store is only read, never changed.\n";

struct Args {
  std::string command, dir, out, format, port, type;
  std::optional<uint64_t> from, to, instrument, feed;
  bool json = false;
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

uint64_t parse_u64(const std::string& opt, const std::string& v) {
  uint64_t n = 0;
  if (v.empty()) throw UsageError(opt + ": expected a non-negative integer");
  for (char c : v) {
    if (c < '0' || c > '9')
      throw UsageError(opt + ": expected a non-negative integer, got '" + v + "'");
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

Args parse_args(int argc, char** argv) {
  Args a;
  std::vector<std::string> pos;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError(s + " needs a value");
      return argv[++i];
    };
    if (s == "--help" || s == "-h") throw UsageError("");
    if (s == "--json")
      a.json = true;
    else if (s == "-o" || s == "--output")
      a.out = value();
    else if (s == "--format")
      a.format = value();
    else if (s == "--from")
      a.from = parse_u64(s, value());
    else if (s == "--to")
      a.to = parse_u64(s, value());
    else if (s == "--port")
      a.port = value();
    else if (s == "--instrument")
      a.instrument = parse_u64(s, value());
    else if (s == "--feed")
      a.feed = parse_u64(s, value());
    else if (s == "--type")
      a.type = value();
    else if (!s.empty() && s[0] == '-')
      throw UsageError("unknown option " + s);
    else
      pos.push_back(s);
  }
  if (pos.size() != 2) throw UsageError(pos.empty() ? "missing command" : "expected COMMAND DIR");
  a.command = pos[0];
  a.dir = pos[1];
  return a;
}

std::vector<SegmentFile> segments_of(const std::string& dir) {
  std::string error;
  auto files = list_segments(dir, &error);
  if (!error.empty()) throw std::runtime_error(error);
  return files;
}

// --- verify -------------------------------------------------------------------------------------

int verify(const Args& a) {
  const auto files = segments_of(a.dir);
  int corrupt = 0;
  nlohmann::json out = nlohmann::json::array();
  std::optional<uint64_t> last_seq[kStreams];
  uint64_t gaps[kStreams] = {0, 0};
  for (const SegmentFile& f : files) {
    const ScanResult r = scan_segment(f);
    const size_t s = static_cast<size_t>(f.stream);
    if (r.has_records) {
      if (last_seq[s] && r.first_ordinal != *last_seq[s] + 1) ++gaps[s];
      last_seq[s] = r.last_ordinal;
    }
    gaps[s] += r.ordinal_breaks;
    const bool ok = r.clean();
    if (!ok) ++corrupt;
    if (a.json) {
      out.push_back({{"segment", f.path},
                     {"stream", to_string(f.stream)},
                     {"ok", ok},
                     {"bytes", r.file_bytes},
                     {"valid_bytes", r.valid_bytes},
                     {"records", r.records},
                     {"first_sequence", r.first_ordinal},
                     {"last_sequence", r.last_ordinal},
                     {"error", r.error}});
    } else {
      std::printf("%-8s %s: %" PRIu64 " records, %" PRIu64 " bytes%s%s\n", ok ? "ok" : "CORRUPT",
                  f.path.c_str(), r.records, r.file_bytes, ok ? "" : ": ", r.error.c_str());
    }
  }
  if (a.json) {
    std::cout << nlohmann::json{{"segments", out},
                                {"corrupt", corrupt},
                                {"sequence_gaps", {{"raw", gaps[0]}, {"canonical", gaps[1]}}}}
                     .dump(2)
              << "\n";
  } else {
    std::printf("%zu segments, %d corrupt; sequence gaps (records not persisted): raw %" PRIu64
                ", canonical %" PRIu64 "\n",
                files.size(), corrupt, gaps[0], gaps[1]);
  }
  return corrupt ? kFail : kOk;
}

// --- export-pcap --------------------------------------------------------------------------------

int export_pcap(const Args& a) {
  if (a.out.empty()) throw UsageError("export-pcap needs -o FILE");
  const auto files = segments_of(a.dir);
  std::vector<std::string> names;  // interfaces of the output, by name across segments
  std::vector<uint8_t> body;       // packet blocks, written after the interface blocks
  uint64_t written = 0;
  int bad = 0;
  for (const SegmentFile& f : files) {
    if (f.stream != Stream::raw) continue;
    std::vector<uint32_t> map;  // this segment's interface id -> output id
    ScanResult head = scan_raw(f.path, [](const RawPacket&) {});
    for (const std::string& n : head.interface_names) {
      auto it = std::find(names.begin(), names.end(), n);
      if (it == names.end()) {
        names.push_back(n);
        it = names.end() - 1;
      }
      map.push_back(static_cast<uint32_t>(it - names.begin()));
    }
    const ScanResult r = scan_raw(f.path, [&](const RawPacket& p) {
      if (a.from && p.ts_ns < *a.from) return;
      if (a.to && p.ts_ns > *a.to) return;
      const std::string& name = head.interface_names[p.interface_id];
      if (!a.port.empty() && a.port != name && a.port != std::to_string(p.interface_id)) return;
      const size_t at = body.size();
      body.resize(at + epb_bytes(p.caplen));
      uint8_t* dst = epb_begin(body.data() + at, map[p.interface_id], p.ts_ns, p.caplen, p.origlen);
      std::memcpy(dst, p.data, p.caplen);
      epb_finish(body.data() + at, p.caplen, p.outbound, p.packet_id);
      ++written;
    });
    if (!r.clean()) {
      std::fprintf(stderr, "switchyard-store: %s: %s (packets before it exported)\n",
                   f.path.c_str(), r.error.c_str());
      ++bad;
    }
  }
  std::vector<uint8_t> head(4096 + names.size() * 128);
  head.resize(write_pcapng_head(head.data(), head.size(), 0, names));
  std::ofstream out(a.out, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(head.data()), static_cast<std::streamsize>(head.size()));
  out.write(reinterpret_cast<const char*>(body.data()), static_cast<std::streamsize>(body.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write " + a.out + ": " + std::strerror(errno));
  std::fprintf(stderr, "%" PRIu64 " packets written to %s\n", written, a.out.c_str());
  return bad ? kFail : kOk;
}

// --- dump ---------------------------------------------------------------------------------------

const char* kind_name(sy::CanonicalKind k) {
  switch (k) {
    case sy::CanonicalKind::add:
      return "add";
    case sy::CanonicalKind::execute:
      return "execute";
    case sy::CanonicalKind::execute_price:
      return "execute_price";
    case sy::CanonicalKind::cancel:
      return "cancel";
    case sy::CanonicalKind::delete_order:
      return "delete";
    case sy::CanonicalKind::replace:
      return "replace";
    case sy::CanonicalKind::trade:
      return "trade";
    case sy::CanonicalKind::cross:
      return "cross";
    case sy::CanonicalKind::system_event:
      return "system_event";
    case sy::CanonicalKind::directory:
      return "directory";
    case sy::CanonicalKind::trading_action:
      return "trading_action";
    case sy::CanonicalKind::broken_trade:
      return "broken_trade";
    case sy::CanonicalKind::other:
      return "other";
  }
  return "unknown";
}

bool type_matches(const std::string& want, const sy::CanonicalRecord& r) {
  if (want.empty()) return true;
  if (want.size() == 1) return static_cast<char>(r.itch_type) == want[0];
  return want == kind_name(r.kind);
}

void check_type(const std::string& t) {
  if (t.empty() || t.size() == 1) return;
  for (int k = 1; k <= 13; ++k)
    if (t == kind_name(static_cast<sy::CanonicalKind>(k))) return;
  throw UsageError("--type: '" + t + "' is neither an ITCH type letter nor a record kind");
}

int dump(const Args& a) {
  if (a.format != "csv" && a.format != "jsonl")
    throw UsageError("dump needs --format csv or --format jsonl");
  check_type(a.type);
  std::ofstream file;
  if (!a.out.empty()) {
    file.open(a.out, std::ios::trunc);
    if (!file) throw std::runtime_error("cannot write " + a.out + ": " + std::strerror(errno));
  }
  std::ostream& out = a.out.empty() ? std::cout : file;
  if (a.format == "csv")
    out << "sequence,rx_ns,exchange_ns,feed,kind,itch_type,locate,side,order_ref,new_order_ref,"
           "shares,price,match_number,code,flags\n";
  int bad = 0;
  for (const SegmentFile& f : segments_of(a.dir)) {
    if (f.stream != Stream::canonical) continue;
    const ScanResult r = scan_canonical(f.path, [&](const sy::CanonicalRecord& rec, uint64_t seq) {
      if (a.instrument && rec.locate != *a.instrument) return;
      if (a.feed && rec.feed != *a.feed) return;
      if (a.from && rec.rx_ns < *a.from) return;
      if (a.to && rec.rx_ns > *a.to) return;
      if (!type_matches(a.type, rec)) return;
      const std::string side = rec.side ? std::string(1, static_cast<char>(rec.side)) : "";
      const std::string itype(1, static_cast<char>(rec.itch_type));
      if (a.format == "csv") {
        out << seq << ',' << rec.rx_ns << ',' << rec.exchange_ns << ',' << unsigned{rec.feed} << ','
            << kind_name(rec.kind) << ',' << itype << ',' << rec.locate << ',' << side << ','
            << rec.order_ref << ',' << rec.new_order_ref << ',' << rec.shares << ',' << rec.price
            << ',' << rec.match_number << ',' << unsigned{rec.code} << ',' << unsigned{rec.flags}
            << '\n';
      } else {
        out << nlohmann::json{{"sequence", seq},
                              {"rx_ns", rec.rx_ns},
                              {"exchange_ns", rec.exchange_ns},
                              {"feed", rec.feed},
                              {"kind", kind_name(rec.kind)},
                              {"itch_type", itype},
                              {"locate", rec.locate},
                              {"side", side},
                              {"order_ref", rec.order_ref},
                              {"new_order_ref", rec.new_order_ref},
                              {"shares", rec.shares},
                              {"price", rec.price},
                              {"match_number", rec.match_number},
                              {"code", rec.code},
                              {"flags", rec.flags}}
                   .dump()
            << '\n';
      }
    });
    if (!r.clean()) {
      std::fprintf(stderr, "switchyard-store: %s: %s (records before it dumped)\n", f.path.c_str(),
                   r.error.c_str());
      ++bad;
    }
  }
  out.flush();
  if (!out) throw std::runtime_error("write failed");
  return bad ? kFail : kOk;
}

// --- stats --------------------------------------------------------------------------------------

int stats(const Args& a) {
  struct Totals {
    uint64_t segments = 0, bytes = 0, records = 0, pad = 0, gaps = 0, corrupt = 0;
    std::optional<uint64_t> first_ns, last_ns, first_seq, last_seq;
  } t[kStreams];
  for (const SegmentFile& f : segments_of(a.dir)) {
    const ScanResult r = scan_segment(f);
    Totals& x = t[static_cast<size_t>(f.stream)];
    ++x.segments;
    x.bytes += r.file_bytes;
    x.records += r.records;
    x.pad += r.pad_bytes;
    x.gaps += r.ordinal_breaks;
    if (!r.clean()) ++x.corrupt;
    if (r.has_records) {
      if (x.last_seq && r.first_ordinal != *x.last_seq + 1) ++x.gaps;
      if (!x.first_seq) x.first_seq = r.first_ordinal;
      x.last_seq = r.last_ordinal;
      if (!x.first_ns || r.first_ns < *x.first_ns) x.first_ns = r.first_ns;
      if (!x.last_ns || r.last_ns > *x.last_ns) x.last_ns = r.last_ns;
    }
  }
  nlohmann::json j;
  for (size_t s = 0; s < kStreams; ++s) {
    const Totals& x = t[s];
    j[to_string(static_cast<Stream>(s))] = {{"segments", x.segments},
                                            {"bytes", x.bytes},
                                            {"records", x.records},
                                            {"padding_bytes", x.pad},
                                            {"sequence_gaps", x.gaps},
                                            {"corrupt_segments", x.corrupt},
                                            {"first_sequence", x.first_seq.value_or(0)},
                                            {"last_sequence", x.last_seq.value_or(0)},
                                            {"first_ns", x.first_ns.value_or(0)},
                                            {"last_ns", x.last_ns.value_or(0)}};
  }
  if (a.json) {
    std::cout << j.dump(2) << "\n";
  } else {
    for (size_t s = 0; s < kStreams; ++s) {
      const Totals& x = t[s];
      std::printf("%-9s segments %" PRIu64 ", records %" PRIu64 ", bytes %" PRIu64
                  ", padding %" PRIu64 ", sequences %" PRIu64 "..%" PRIu64 ", gaps %" PRIu64
                  ", time %" PRIu64 "..%" PRIu64 " ns, corrupt %" PRIu64 "\n",
                  to_string(static_cast<Stream>(s)), x.segments, x.records, x.bytes, x.pad,
                  x.first_seq.value_or(0), x.last_seq.value_or(0), x.gaps, x.first_ns.value_or(0),
                  x.last_ns.value_or(0), x.corrupt);
    }
  }
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  try {
    a = parse_args(argc, argv);
  } catch (const UsageError& e) {
    if (e.what()[0] != '\0') std::cerr << "switchyard-store: " << e.what() << "\n";
    std::cerr << kUsageText;
    return (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0))
               ? kOk
               : kUsage;
  }
  try {
    std::error_code ec;
    if (!std::filesystem::is_directory(a.dir, ec))
      throw std::runtime_error(a.dir + " is not a directory");
    if (a.command == "verify") return verify(a);
    if (a.command == "export-pcap") return export_pcap(a);
    if (a.command == "dump") return dump(a);
    if (a.command == "stats") return stats(a);
    throw UsageError("unknown command '" + a.command + "'");
  } catch (const UsageError& e) {
    std::cerr << "switchyard-store: " << e.what() << "\n" << kUsageText;
    return kUsage;
  } catch (const std::exception& e) {
    std::cerr << "switchyard-store: " << e.what() << "\n";
    return kFail;
  }
}
