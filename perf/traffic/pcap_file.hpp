// Classic libpcap capture files (not pcapng), as net_pcap, tcpdump and tshark read them.
//
// The writer always uses the nanosecond magic and LINKTYPE_ETHERNET and stores fields
// little-endian whatever the host, so a capture's bytes depend only on its frames. The reader
// accepts both magics in either byte order. Errors throw std::runtime_error naming the file.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace sy::traffic {

namespace detail {
// Members own the FILE so that a constructor that throws after fopen still closes it.
struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;
}  // namespace detail

inline constexpr uint32_t kPcapMagicMicros = 0xa1b2c3d4;
inline constexpr uint32_t kPcapMagicNanos = 0xa1b23c4d;
inline constexpr uint32_t kLinktypeEthernet = 1;
inline constexpr uint32_t kPcapDefaultSnaplen = 65535;

struct PcapRecord {
  uint64_t timestamp_ns = 0;  // since the Unix epoch
  uint32_t orig_len = 0;      // length on the wire; data.size() is the captured length
  std::vector<uint8_t> data;
};

class PcapWriter {
 public:
  // Creates (truncates) `path` and writes the file header.
  explicit PcapWriter(const std::string& path, uint32_t snaplen = kPcapDefaultSnaplen);
  // The destructor closes quietly: call close() to learn about a failed final flush.
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // One whole frame (captured length = wire length); longer than the snaplen throws.
  void write(uint64_t timestamp_ns, std::span<const uint8_t> frame);
  void close();

  const std::string& path() const { return path_; }

 private:
  [[noreturn]] void fail(const std::string& what) const;  // adds path and strerror(errno)

  std::string path_;
  detail::FilePtr file_;
  uint32_t snaplen_;
};

class PcapReader {
 public:
  explicit PcapReader(const std::string& path);  // reads and checks the file header
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;

  // The next record; false at the end of the file. A record cut short throws.
  bool next(PcapRecord& out);

  uint32_t linktype() const { return linktype_; }
  uint32_t snaplen() const { return snaplen_; }
  bool nanosecond() const { return nanosecond_; }

 private:
  bool read_exact(void* buf, size_t len, bool eof_ok);
  uint32_t field(const uint8_t* p) const;  // a 32-bit header field in the file's byte order

  std::string path_;
  detail::FilePtr file_;
  bool swapped_ = false;
  bool nanosecond_ = false;
  uint32_t linktype_ = 0;
  uint32_t snaplen_ = 0;
};

// All records of a file.
std::vector<PcapRecord> read_pcap(const std::string& path);

}  // namespace sy::traffic
