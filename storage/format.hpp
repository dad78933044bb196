// On-disk formats of the store. Both streams are written in 4 KiB-aligned units (O_DIRECT), and
// both can be validated block by block after a crash.
//
// Raw stream: each segment is a pcapng file on its own: a Section Header Block, one Interface
// Description Block per configured port (Ethernet, nanosecond timestamps, the port's name), then
// one Enhanced Packet Block per packet, with its options:
//   epb_flags     inbound (received) or outbound (sent by the appliance),
//   epb_packetid  the packet's ordinal in the raw stream (continues across segments and runs),
//   0x8053        (a local-use option code) CRC32C of the block from the interface id through
//                 the packet id option, so a torn block is told from a whole one.
// Where a write must end on a 4 KiB boundary before the space is full, a padding block of a
// local-use type (kPcapngPadBlock) fills the gap; readers skip block types they do not know.
//
// Canonical stream: a 4 KiB segment header page, then data pages of 4 KiB: a 64-byte page header
// (magic, version, segment id, page index, first sequence = ordinal of the first record in the
// canonical stream, record count, CRC32C of the whole page) and up to 63 CanonicalRecords.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "src/common/canonical_record.hpp"

namespace sy::storage {

inline constexpr uint32_t kPageBytes = 4096;  // alignment and size unit of every write

constexpr uint64_t round_up_page(uint64_t n) {
  return (n + kPageBytes - 1) & ~uint64_t{kPageBytes - 1};
}
constexpr uint32_t pad4(uint32_t n) { return (n + 3) & ~3u; }

// --- pcapng ----------------------------------------------------------------------------------
inline constexpr uint32_t kPcapngShb = 0x0A0D0D0A;
inline constexpr uint32_t kPcapngIdb = 0x00000001;
inline constexpr uint32_t kPcapngEpb = 0x00000006;
inline constexpr uint32_t kPcapngByteOrderMagic = 0x1A2B3C4D;
// Local-use block type (high bit set): readers skip it. "SYP" + 0x50.
inline constexpr uint32_t kPcapngPadBlock = 0x80535950;
inline constexpr uint16_t kOptEnd = 0;
inline constexpr uint16_t kOptComment = 1;
inline constexpr uint16_t kIdbOptName = 2;
inline constexpr uint16_t kIdbOptTsresol = 9;
inline constexpr uint16_t kEpbOptFlags = 2;
inline constexpr uint16_t kEpbOptPacketId = 5;
inline constexpr uint16_t kEpbOptCrc32c = 0x8053;  // local-use option code
inline constexpr uint32_t kEpbFlagInbound = 1;
inline constexpr uint32_t kEpbFlagOutbound = 2;
inline constexpr uint32_t kLinktypeEthernet = 1;
inline constexpr uint32_t kMinPadBlock = 12;  // type, length, trailing length

// Enhanced Packet Block bytes for a packet of `caplen` captured bytes:
// 8 header + 20 fixed + data + 8 flags + 12 packet id + 8 crc + 4 end + 4 trailer.
inline constexpr uint32_t kEpbOverhead = 64;
constexpr uint32_t epb_bytes(uint32_t caplen) { return kEpbOverhead + pad4(caplen); }

// Section header and interface blocks of a raw segment; returns the bytes written (<= cap),
// 0 when they do not fit.
size_t write_pcapng_head(uint8_t* out, size_t cap, uint64_t segment_id,
                         const std::vector<std::string>& port_names);

// An Enhanced Packet Block in two steps so the data can be copied straight from a packet chain:
// epb_begin writes the fixed part and returns where the `caplen` data bytes go; epb_finish
// writes the options, the CRC and the trailer. Returns the block's size.
uint8_t* epb_begin(uint8_t* out, uint32_t interface_id, uint64_t ts_ns, uint32_t caplen,
                   uint32_t origlen);
uint32_t epb_finish(uint8_t* out, uint32_t caplen, bool outbound, uint64_t packet_id);

// A padding block of exactly `bytes` (>= kMinPadBlock, a multiple of 4).
void write_pad_block(uint8_t* out, uint32_t bytes);

// Bytes of padding that bring `used` to a page boundary, never 4 or 8 (too small for a block):
// those take the following page as well.
constexpr uint32_t pcapng_pad_to_page(uint64_t used) {
  uint32_t gap = static_cast<uint32_t>(round_up_page(used) - used);
  if (gap != 0 && gap < kMinPadBlock) gap += kPageBytes;
  return gap;
}

// One packet as a reader sees it.
struct RawPacket {
  uint32_t interface_id = 0;
  uint64_t ts_ns = 0;
  uint32_t caplen = 0;
  uint32_t origlen = 0;
  bool outbound = false;
  uint64_t packet_id = 0;
  const uint8_t* data = nullptr;
};

// --- canonical -------------------------------------------------------------------------------
inline constexpr char kCanonSegmentMagic[8] = {'S', 'Y', 'C', 'A', 'N', 'O', 'N', '1'};
inline constexpr uint32_t kCanonPageMagic = 0x50435953;  // "SYCP" little endian
inline constexpr uint16_t kCanonFormatVersion = 1;
inline constexpr uint32_t kRecordsPerPage = kPageBytes / sizeof(CanonicalRecord) - 1;  // 63

struct CanonSegmentHeader {
  char magic[8];
  uint16_t format_version;
  uint16_t schema_version;  // kCanonicalSchemaVersion of the records
  uint32_t page_bytes;
  uint32_t record_bytes;
  uint32_t reserved0;
  uint64_t segment_id;
  uint64_t created_ns;  // UTC
  uint64_t reserved[4];
  uint32_t crc32c;  // of these bytes with this field 0
  uint32_t reserved1;
};
static_assert(sizeof(CanonSegmentHeader) == 80);

struct alignas(64) CanonPageHeader {
  uint32_t magic;
  uint16_t version;
  uint16_t record_count;  // 1..kRecordsPerPage
  uint64_t segment_id;
  uint64_t page_index;      // 0 = the first data page after the segment header page
  uint64_t first_sequence;  // ordinal of records[0] in the canonical stream
  uint64_t first_rx_ns;
  uint64_t last_rx_ns;
  uint32_t crc32c;  // of the whole 4 KiB page with this field 0
  uint32_t reserved[3];
};
static_assert(sizeof(CanonPageHeader) == 64);

void write_canon_segment_header(uint8_t* page, uint64_t segment_id, uint64_t created_ns);
// Sets the header fields and the CRC of a data page whose records are already in place (the
// unused slots must be zero).
void seal_canon_page(uint8_t* page, uint64_t segment_id, uint64_t page_index,
                     uint64_t first_sequence, uint16_t record_count);
bool check_canon_segment_header(const uint8_t* page, uint64_t* segment_id, std::string* why);
bool check_canon_page(const uint8_t* page, uint64_t segment_id, uint64_t page_index,
                      std::string* why);

// --- segment files ---------------------------------------------------------------------------
enum class Stream : uint8_t { raw = 0, canonical = 1 };
inline constexpr size_t kStreams = 2;
const char* to_string(Stream s);

std::string segment_file_name(Stream s, uint64_t segment_id);  // "raw-0000000000000001.pcapng"
// Parses a file name of the store; false for anything else (temporary files, foreign files).
bool parse_segment_file_name(const std::string& name, Stream* s, uint64_t* segment_id);

}  // namespace sy::storage
