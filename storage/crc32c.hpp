// CRC32C (Castagnoli), the checksum of canonical pages and of each raw packet block.
//
// Uses the SSE4.2 crc32 instruction when the CPU has it (about 8 bytes per cycle), a table
// otherwise; both give the same value. Pure function: safe on any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sy::storage {

// CRC32C of `len` bytes, continuing from `crc` (0 to start). Standard pre/post inversion, so
// crc32c(0, "123456789", 9) == 0xE3069283.
uint32_t crc32c(uint32_t crc, const void* data, size_t len);

}  // namespace sy::storage
