#include "storage/format.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "storage/crc32c.hpp"

namespace sy::storage {

namespace {

void put16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
void put32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
void put64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }

// Appends an option (code, length, value padded to 4); returns the bytes written.
size_t put_option(uint8_t* p, uint16_t code, const void* value, uint16_t len) {
  put16(p, code);
  put16(p + 2, len);
  if (len != 0) std::memcpy(p + 4, value, len);  // an empty option may come with no value
  const uint32_t padded = pad4(len);
  std::memset(p + 4 + len, 0, padded - len);
  return 4 + padded;
}

// Closes a block started at `block` whose body ends at `end`: total length at both ends.
size_t close_block(uint8_t* block, uint8_t* end) {
  const auto total = static_cast<uint32_t>(end - block) + 4;
  put32(block + 4, total);
  put32(end, total);
  return total;
}

}  // namespace

size_t write_pcapng_head(uint8_t* out, size_t cap, uint64_t segment_id,
                         const std::vector<std::string>& port_names) {
  // Worst case per block: fixed part + a name option of up to 64 bytes + end + trailer.
  size_t need = 128 + port_names.size() * 112;
  if (need > cap) return 0;
  uint8_t* p = out;
  // Section Header Block.
  uint8_t* shb = p;
  put32(p, kPcapngShb);
  put32(p + 8, kPcapngByteOrderMagic);
  put16(p + 12, 1);           // major
  put16(p + 14, 0);           // minor
  put64(p + 16, UINT64_MAX);  // section length unknown
  p += 24;
  char comment[64];
  const int n =
      std::snprintf(comment, sizeof comment, "switchyard raw segment %" PRIu64, segment_id);
  p += put_option(p, kOptComment, comment, static_cast<uint16_t>(n));
  p += put_option(p, kOptEnd, nullptr, 0);
  p += close_block(shb, p) - static_cast<size_t>(p - shb);
  // One Interface Description Block per port, in config order (interface id = port index).
  for (const std::string& name : port_names) {
    uint8_t* idb = p;
    put32(p, kPcapngIdb);
    put16(p + 8, static_cast<uint16_t>(kLinktypeEthernet));
    put16(p + 10, 0);
    put32(p + 12, 0);  // snaplen: unlimited
    p += 16;
    const uint16_t len = static_cast<uint16_t>(name.size() > 64 ? 64 : name.size());
    p += put_option(p, kIdbOptName, name.data(), len);
    const uint8_t tsresol = 9;  // nanoseconds
    p += put_option(p, kIdbOptTsresol, &tsresol, 1);
    p += put_option(p, kOptEnd, nullptr, 0);
    p += close_block(idb, p) - static_cast<size_t>(p - idb);
  }
  return static_cast<size_t>(p - out);
}

uint8_t* epb_begin(uint8_t* out, uint32_t interface_id, uint64_t ts_ns, uint32_t caplen,
                   uint32_t origlen) {
  put32(out, kPcapngEpb);
  put32(out + 8, interface_id);
  put32(out + 12, static_cast<uint32_t>(ts_ns >> 32));
  put32(out + 16, static_cast<uint32_t>(ts_ns));
  put32(out + 20, caplen);
  put32(out + 24, origlen);
  // Zero the data padding now: the caller copies exactly caplen bytes.
  const uint32_t padded = pad4(caplen);
  if (padded != caplen) put32(out + 28 + padded - 4, 0);
  return out + 28;
}

uint32_t epb_finish(uint8_t* out, uint32_t caplen, bool outbound, uint64_t packet_id) {
  uint8_t* p = out + 28 + pad4(caplen);
  const uint32_t flags = outbound ? kEpbFlagOutbound : kEpbFlagInbound;
  p += put_option(p, kEpbOptFlags, &flags, 4);
  p += put_option(p, kEpbOptPacketId, &packet_id, 8);
  const uint32_t crc = crc32c(0, out + 8, static_cast<size_t>(p - (out + 8)));
  p += put_option(p, kEpbOptCrc32c, &crc, 4);
  p += put_option(p, kOptEnd, nullptr, 0);
  const uint32_t total = epb_bytes(caplen);
  put32(out + 4, total);
  put32(p, total);
  return total;
}

void write_pad_block(uint8_t* out, uint32_t bytes) {
  put32(out, kPcapngPadBlock);
  put32(out + 4, bytes);
  std::memset(out + 8, 0, bytes - 12);
  put32(out + bytes - 4, bytes);
}

void write_canon_segment_header(uint8_t* page, uint64_t segment_id, uint64_t created_ns) {
  std::memset(page, 0, kPageBytes);
  CanonSegmentHeader h{};
  std::memcpy(h.magic, kCanonSegmentMagic, sizeof h.magic);
  h.format_version = kCanonFormatVersion;
  h.schema_version = kCanonicalSchemaVersion;
  h.page_bytes = kPageBytes;
  h.record_bytes = sizeof(CanonicalRecord);
  h.segment_id = segment_id;
  h.created_ns = created_ns;
  h.crc32c = 0;
  h.crc32c = crc32c(0, &h, sizeof h);
  std::memcpy(page, &h, sizeof h);
}

void seal_canon_page(uint8_t* page, uint64_t segment_id, uint64_t page_index,
                     uint64_t first_sequence, uint16_t record_count) {
  auto* h = reinterpret_cast<CanonPageHeader*>(page);
  const auto* recs = reinterpret_cast<const CanonicalRecord*>(page + sizeof(CanonPageHeader));
  *h = CanonPageHeader{};
  h->magic = kCanonPageMagic;
  h->version = kCanonFormatVersion;
  h->record_count = record_count;
  h->segment_id = segment_id;
  h->page_index = page_index;
  h->first_sequence = first_sequence;
  h->first_rx_ns = record_count ? recs[0].rx_ns : 0;
  h->last_rx_ns = record_count ? recs[record_count - 1].rx_ns : 0;
  h->crc32c = 0;
  h->crc32c = crc32c(0, page, kPageBytes);
}

bool check_canon_segment_header(const uint8_t* page, uint64_t* segment_id, std::string* why) {
  CanonSegmentHeader h;
  std::memcpy(&h, page, sizeof h);
  if (std::memcmp(h.magic, kCanonSegmentMagic, sizeof h.magic) != 0) {
    *why = "segment header: bad magic";
    return false;
  }
  const uint32_t want = h.crc32c;
  h.crc32c = 0;
  if (crc32c(0, &h, sizeof h) != want) {
    *why = "segment header: CRC mismatch";
    return false;
  }
  if (h.format_version != kCanonFormatVersion || h.page_bytes != kPageBytes ||
      h.record_bytes != sizeof(CanonicalRecord)) {
    *why = "segment header: unsupported format version " + std::to_string(h.format_version);
    return false;
  }
  if (h.schema_version != kCanonicalSchemaVersion) {
    *why = "segment header: record schema version " + std::to_string(h.schema_version) +
           " (this build reads " + std::to_string(kCanonicalSchemaVersion) + ")";
    return false;
  }
  *segment_id = h.segment_id;
  return true;
}

bool check_canon_page(const uint8_t* page, uint64_t segment_id, uint64_t page_index,
                      std::string* why) {
  CanonPageHeader h;
  std::memcpy(&h, page, sizeof h);
  if (h.magic != kCanonPageMagic) {
    *why = h.magic == 0 ? "unwritten page" : "bad page magic";
    return false;
  }
  // The CRC over the page with its own field zeroed, without copying the page.
  const size_t crc_off = offsetof(CanonPageHeader, crc32c);
  const uint32_t zero = 0;
  uint32_t c = crc32c(0, page, crc_off);
  c = crc32c(c, &zero, 4);
  c = crc32c(c, page + crc_off + 4, kPageBytes - crc_off - 4);
  if (c != h.crc32c) {
    *why = "page CRC mismatch";
    return false;
  }
  if (h.version != kCanonFormatVersion || h.record_count == 0 || h.record_count > kRecordsPerPage) {
    *why = "bad page header";
    return false;
  }
  if (h.segment_id != segment_id || h.page_index != page_index) {
    *why = "page of another segment or position";
    return false;
  }
  return true;
}

const char* to_string(Stream s) { return s == Stream::raw ? "raw" : "canonical"; }

std::string segment_file_name(Stream s, uint64_t segment_id) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s-%016" PRIu64 "%s", s == Stream::raw ? "raw" : "canonical",
                segment_id, s == Stream::raw ? ".pcapng" : ".sycr");
  return buf;
}

bool parse_segment_file_name(const std::string& name, Stream* s, uint64_t* segment_id) {
  std::string prefix, suffix;
  if (name.rfind("raw-", 0) == 0) {
    *s = Stream::raw;
    prefix = "raw-";
    suffix = ".pcapng";
  } else if (name.rfind("canonical-", 0) == 0) {
    *s = Stream::canonical;
    prefix = "canonical-";
    suffix = ".sycr";
  } else {
    return false;
  }
  if (name.size() != prefix.size() + 16 + suffix.size()) return false;
  if (name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
  uint64_t v = 0;
  for (size_t i = prefix.size(); i < prefix.size() + 16; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    v = v * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  *segment_id = v;
  return true;
}

}  // namespace sy::storage
