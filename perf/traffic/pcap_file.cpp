#include "perf/traffic/pcap_file.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace sy::traffic {
namespace {

constexpr size_t kFileHeaderLen = 24;
constexpr size_t kRecordHeaderLen = 16;
constexpr uint64_t kNanosPerSecond = 1'000'000'000;
// Larger records are not frames: refuse them rather than allocate gigabytes for a corrupt file.
constexpr uint32_t kMaxRecordLen = 256 * 1024;

void put_le16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}

void put_le32(uint8_t* p, uint32_t v) {
  put_le16(p, static_cast<uint16_t>(v));
  put_le16(p + 2, static_cast<uint16_t>(v >> 16));
}

uint32_t get_le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

uint32_t byte_swap(uint32_t v) {
  return v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24;
}

std::string errno_text() { return errno != 0 ? std::strerror(errno) : "unknown error"; }

}  // namespace

PcapWriter::PcapWriter(const std::string& path, uint32_t snaplen) : path_(path), snaplen_(snaplen) {
  errno = 0;
  file_.reset(std::fopen(path.c_str(), "wb"));
  if (!file_) fail("cannot create");
  uint8_t h[kFileHeaderLen];
  put_le32(h, kPcapMagicNanos);
  put_le16(h + 4, 2);  // version 2.4
  put_le16(h + 6, 4);
  put_le32(h + 8, 0);   // thiszone: timestamps are UTC
  put_le32(h + 12, 0);  // sigfigs
  put_le32(h + 16, snaplen_);
  put_le32(h + 20, kLinktypeEthernet);
  errno = 0;
  if (std::fwrite(h, 1, sizeof h, file_.get()) != sizeof h) fail("cannot write");
}

void PcapWriter::fail(const std::string& what) const {
  throw std::runtime_error(path_ + ": " + what + ": " + errno_text());
}

void PcapWriter::write(uint64_t timestamp_ns, std::span<const uint8_t> frame) {
  if (!file_) throw std::logic_error(path_ + ": write after close");
  if (frame.size() > snaplen_)
    throw std::invalid_argument(path_ + ": frame of " + std::to_string(frame.size()) +
                                " bytes exceeds the snaplen " + std::to_string(snaplen_));
  const uint64_t seconds = timestamp_ns / kNanosPerSecond;
  if (seconds > UINT32_MAX)
    throw std::invalid_argument(path_ + ": timestamp beyond the 32-bit seconds of pcap");
  uint8_t h[kRecordHeaderLen];
  put_le32(h, static_cast<uint32_t>(seconds));
  put_le32(h + 4, static_cast<uint32_t>(timestamp_ns % kNanosPerSecond));
  put_le32(h + 8, static_cast<uint32_t>(frame.size()));
  put_le32(h + 12, static_cast<uint32_t>(frame.size()));
  errno = 0;
  if (std::fwrite(h, 1, sizeof h, file_.get()) != sizeof h ||
      std::fwrite(frame.data(), 1, frame.size(), file_.get()) != frame.size())
    fail("cannot write");
}

void PcapWriter::close() {
  if (!file_) return;
  std::FILE* f = file_.release();
  errno = 0;
  // fclose flushes: a full disk typically shows up only here.
  if (std::fclose(f) != 0) fail("cannot write");
}

PcapReader::PcapReader(const std::string& path) : path_(path) {
  errno = 0;
  file_.reset(std::fopen(path.c_str(), "rb"));
  if (!file_) throw std::runtime_error(path_ + ": cannot open: " + errno_text());
  uint8_t h[kFileHeaderLen];
  if (!read_exact(h, sizeof h, true))
    throw std::runtime_error(path_ + ": not a pcap file (shorter than its header)");
  const uint32_t magic = get_le32(h);
  if (magic == kPcapMagicMicros || magic == kPcapMagicNanos) {
    swapped_ = false;
  } else if (byte_swap(magic) == kPcapMagicMicros || byte_swap(magic) == kPcapMagicNanos) {
    swapped_ = true;
  } else {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08x", magic);
    throw std::runtime_error(path_ + ": not a classic pcap file (magic 0x" + hex + ")");
  }
  nanosecond_ = field(h) == kPcapMagicNanos;
  snaplen_ = field(h + 16);
  linktype_ = field(h + 20) & 0x0fffffff;  // the top bits may carry FCS information
}

uint32_t PcapReader::field(const uint8_t* p) const {
  const uint32_t v = get_le32(p);
  return swapped_ ? byte_swap(v) : v;
}

bool PcapReader::read_exact(void* buf, size_t len, bool eof_ok) {
  errno = 0;
  const size_t got = std::fread(buf, 1, len, file_.get());
  if (got == len) return true;
  if (std::ferror(file_.get())) throw std::runtime_error(path_ + ": cannot read: " + errno_text());
  if (got == 0 && eof_ok) return false;
  throw std::runtime_error(path_ + ": truncated record");
}

bool PcapReader::next(PcapRecord& out) {
  uint8_t h[kRecordHeaderLen];
  if (!read_exact(h, sizeof h, true)) return false;
  const uint32_t caplen = field(h + 8);
  if (caplen > kMaxRecordLen)
    throw std::runtime_error(path_ + ": record of " + std::to_string(caplen) +
                             " bytes: corrupt file");
  const uint64_t fraction = field(h + 4);
  out.timestamp_ns =
      uint64_t{field(h)} * kNanosPerSecond + (nanosecond_ ? fraction : fraction * 1000);
  out.orig_len = field(h + 12);
  out.data.resize(caplen);
  if (caplen > 0) read_exact(out.data.data(), caplen, false);
  return true;
}

std::vector<PcapRecord> read_pcap(const std::string& path) {
  PcapReader reader(path);
  std::vector<PcapRecord> records;
  PcapRecord r;
  while (reader.next(r)) records.push_back(r);
  return records;
}

}  // namespace sy::traffic
