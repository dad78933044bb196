#include "storage/scan.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "storage/crc32c.hpp"

namespace sy::storage {

namespace {

uint16_t get16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
uint32_t get32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t get64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// A read-only view of a whole file.
class Mapping {
 public:
  explicit Mapping(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      error_ = "cannot open " + path + ": " + std::strerror(errno);
      return;
    }
    struct stat st {};
    if (fstat(fd_, &st) != 0) {
      error_ = "cannot stat " + path + ": " + std::strerror(errno);
      return;
    }
    size_ = static_cast<uint64_t>(st.st_size);
    if (size_ == 0) return;
    void* p = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (p == MAP_FAILED) {
      error_ = "cannot map " + path + ": " + std::strerror(errno);
      size_ = 0;
      return;
    }
    data_ = static_cast<const uint8_t*>(p);
  }
  ~Mapping() {
    if (data_) munmap(const_cast<uint8_t*>(data_), size_);
    if (fd_ >= 0) ::close(fd_);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  std::string error_;
};

void note_tail(ScanResult& r, const uint8_t* data) {
  r.tail_unwritten =
      std::all_of(data + r.valid_bytes, data + r.file_bytes, [](uint8_t b) { return b == 0; });
}

void note_ordinal(ScanResult& r, uint64_t ordinal, uint64_t ns) {
  if (!r.has_records) {
    r.has_records = true;
    r.first_ordinal = ordinal;
    r.first_ns = ns;
  } else if (ordinal != r.last_ordinal + 1) {
    ++r.ordinal_breaks;
  }
  r.last_ordinal = ordinal;
  r.last_ns = ns;
}

// Checks an Enhanced Packet Block's fixed part and options; fills `pkt`.
bool parse_epb(const uint8_t* b, uint32_t total, uint64_t interfaces, RawPacket& pkt,
               std::string* why) {
  if (total < 32) {
    *why = "packet block too short";
    return false;
  }
  pkt.interface_id = get32(b + 8);
  pkt.ts_ns = uint64_t{get32(b + 12)} << 32 | get32(b + 16);
  pkt.caplen = get32(b + 20);
  pkt.origlen = get32(b + 24);
  pkt.data = b + 28;
  if (pkt.interface_id >= interfaces) {
    *why = "packet block names interface " + std::to_string(pkt.interface_id) + " of " +
           std::to_string(interfaces);
    return false;
  }
  if (uint64_t{28} + pad4(pkt.caplen) + 4 > total || pkt.caplen > pkt.origlen) {
    *why = "packet block lengths inconsistent";
    return false;
  }
  const uint8_t* opt = b + 28 + pad4(pkt.caplen);
  const uint8_t* end = b + total - 4;
  bool crc_seen = false;
  while (opt + 4 <= end) {
    const uint16_t code = get16(opt), len = get16(opt + 2);
    if (code == kOptEnd) break;
    if (opt + 4 + pad4(len) > end) {
      *why = "packet block option overruns the block";
      return false;
    }
    if (code == kEpbOptFlags && len == 4) pkt.outbound = (get32(opt + 4) & 3u) == kEpbFlagOutbound;
    if (code == kEpbOptPacketId && len == 8) pkt.packet_id = get64(opt + 4);
    if (code == kEpbOptCrc32c && len == 4) {
      crc_seen = true;
      const uint32_t want = get32(opt + 4);
      if (crc32c(0, b + 8, static_cast<size_t>(opt - (b + 8))) != want) {
        *why = "packet block CRC mismatch";
        return false;
      }
    }
    opt += 4 + pad4(len);
  }
  if (!crc_seen) {
    *why = "packet block without its CRC option";
    return false;
  }
  return true;
}

std::string idb_name(const uint8_t* b, uint32_t total) {
  const uint8_t* opt = b + 16;
  const uint8_t* end = b + total - 4;
  while (opt + 4 <= end) {
    const uint16_t code = get16(opt), len = get16(opt + 2);
    if (code == kOptEnd || opt + 4 + pad4(len) > end) break;
    if (code == kIdbOptName) return std::string(reinterpret_cast<const char*>(opt + 4), len);
    opt += 4 + pad4(len);
  }
  return "";  // unnamed
}

}  // namespace

std::vector<SegmentFile> list_segments(const std::string& dir, std::string* error) {
  std::vector<SegmentFile> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    if (error) *error = "cannot list " + dir + ": " + ec.message();
    return out;
  }
  for (const auto& e : it) {
    SegmentFile f;
    if (!e.is_regular_file(ec)) continue;
    if (!parse_segment_file_name(e.path().filename().string(), &f.stream, &f.id)) continue;
    f.path = e.path().string();
    f.bytes = e.file_size(ec);
    out.push_back(f);
  }
  std::sort(out.begin(), out.end(), [](const SegmentFile& a, const SegmentFile& b) {
    return a.stream != b.stream ? a.stream < b.stream : a.id < b.id;
  });
  return out;
}

ScanResult scan_raw(const std::string& path, const PacketFn& on_packet) {
  ScanResult r;
  Mapping m(path);
  if (!m.error().empty()) {
    r.error = m.error();
    return r;
  }
  r.file_bytes = m.size();
  const uint8_t* d = m.data();
  uint64_t off = 0;
  bool first = true;
  while (off < r.file_bytes) {
    if (r.file_bytes - off < 12) {
      r.error = "truncated block at offset " + std::to_string(off);
      break;
    }
    const uint8_t* b = d + off;
    const uint32_t type = get32(b), total = get32(b + 4);
    if (type == 0 && total == 0) {
      r.error = "unwritten space from offset " + std::to_string(off);
      break;
    }
    if (total < 12 || total % 4 != 0 || total > r.file_bytes - off) {
      r.error = "bad block length " + std::to_string(total) + " at offset " + std::to_string(off);
      break;
    }
    if (get32(b + total - 4) != total) {
      r.error = "torn block at offset " + std::to_string(off) + " (trailing length differs)";
      break;
    }
    if (first) {
      if (type != kPcapngShb || total < 28 || get32(b + 8) != kPcapngByteOrderMagic) {
        r.error = "not a little-endian pcapng section header";
        break;
      }
      first = false;
    } else if (type == kPcapngShb) {
      r.error = "second section header at offset " + std::to_string(off);
      break;
    } else if (type == kPcapngIdb) {
      ++r.interfaces;
      r.interface_names.push_back(idb_name(b, total));
    } else if (type == kPcapngEpb) {
      RawPacket pkt;
      std::string why;
      if (!parse_epb(b, total, r.interfaces, pkt, &why)) {
        r.error = why + " at offset " + std::to_string(off);
        break;
      }
      ++r.records;
      note_ordinal(r, pkt.packet_id, pkt.ts_ns);
      if (on_packet) on_packet(pkt);
    } else if (type == kPcapngPadBlock) {
      r.pad_bytes += total;
    }
    off += total;
    r.valid_bytes = off;
  }
  if (r.file_bytes) note_tail(r, d);
  return r;
}

ScanResult scan_canonical(const std::string& path, const RecordFn& on_record) {
  ScanResult r;
  Mapping m(path);
  if (!m.error().empty()) {
    r.error = m.error();
    return r;
  }
  r.file_bytes = m.size();
  const uint8_t* d = m.data();
  uint64_t segment_id = 0;
  std::string why;
  if (r.file_bytes < kPageBytes) {
    r.error = r.file_bytes ? "shorter than the segment header page" : "empty file";
  } else if (!check_canon_segment_header(d, &segment_id, &why)) {
    r.error = why;
  } else {
    r.valid_bytes = kPageBytes;
    for (uint64_t page = 0; r.valid_bytes + kPageBytes <= r.file_bytes; ++page) {
      const uint8_t* p = d + r.valid_bytes;
      if (!check_canon_page(p, segment_id, page, &why)) {
        r.error = why + " at offset " + std::to_string(r.valid_bytes);
        break;
      }
      CanonPageHeader h;
      std::memcpy(&h, p, sizeof h);
      const auto* recs = reinterpret_cast<const CanonicalRecord*>(p + sizeof h);
      for (uint16_t i = 0; i < h.record_count; ++i) {
        note_ordinal(r, h.first_sequence + i, recs[i].rx_ns);
        if (on_record) on_record(recs[i], h.first_sequence + i);
      }
      r.records += h.record_count;
      r.pad_bytes += (kRecordsPerPage - h.record_count) * sizeof(CanonicalRecord);
      r.valid_bytes += kPageBytes;
    }
    if (r.error.empty() && r.valid_bytes != r.file_bytes)
      r.error = "partial page at offset " + std::to_string(r.valid_bytes);
  }
  if (r.file_bytes) note_tail(r, d);
  return r;
}

ScanResult scan_segment(const SegmentFile& f) {
  return f.stream == Stream::raw ? scan_raw(f.path) : scan_canonical(f.path);
}

}  // namespace sy::storage
