// Reading and validating store segments: block chains of raw (pcapng) segments, page CRCs of
// canonical segments. Used by recovery at start, by switchyard-store and by tests; never by an
// lcore. Reading never modifies a file (read-only mappings).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "storage/format.hpp"

namespace sy::storage {

struct SegmentFile {
  std::string path;
  Stream stream = Stream::raw;
  uint64_t id = 0;
  uint64_t bytes = 0;
};

// Every segment file in `dir`, ordered by stream, then id. Other files are ignored.
std::vector<SegmentFile> list_segments(const std::string& dir, std::string* error);

struct ScanResult {
  uint64_t file_bytes = 0;
  uint64_t valid_bytes = 0;  // end of the last whole block or page: the durable prefix
  uint64_t records = 0;      // packets or canonical records in the valid prefix
  uint64_t pad_bytes = 0;
  bool has_records = false;
  uint64_t first_ordinal = 0, last_ordinal = 0;  // packet ids / record sequences
  uint64_t first_ns = 0, last_ns = 0;
  uint64_t ordinal_breaks = 0;  // places where the next ordinal is not the previous + 1
  uint64_t interfaces = 0;      // raw: interface blocks
  std::vector<std::string> interface_names;  // raw: if_name of each, in order
  bool tail_unwritten = true;  // every byte after valid_bytes is zero (preallocated space)
  std::string error;           // why the scan stopped before the end; empty: whole file valid
  bool clean() const { return valid_bytes == file_bytes && error.empty(); }
};

using PacketFn = std::function<void(const RawPacket&)>;
using RecordFn = std::function<void(const CanonicalRecord&, uint64_t sequence)>;

ScanResult scan_raw(const std::string& path, const PacketFn& on_packet = {});
ScanResult scan_canonical(const std::string& path, const RecordFn& on_record = {});
ScanResult scan_segment(const SegmentFile& f);

}  // namespace sy::storage
