// Store formats and the writer: CRC32C, pcapng blocks, canonical pages, round trips through
// io_uring and O_DIRECT on a real file system, rotation, recovery of torn tails, retention and
// its refusal while SAFE.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "src/common/safety.hpp"
#include "storage/crc32c.hpp"
#include "storage/format.hpp"
#include "storage/recovery.hpp"
#include "storage/scan.hpp"
#include "storage/writer.hpp"

namespace sy::storage {
namespace {

namespace fs = std::filesystem;

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

// A directory on a file system with O_DIRECT (tmpfs has none before Linux 6.6): the build
// tree's file system unless SY_STORAGE_TEST_DIR names another.
fs::path test_dir(const std::string& name) {
  const char* base = std::getenv("SY_STORAGE_TEST_DIR");
  fs::path root =
      base ? fs::path(base)
           : fs::path(std::getenv("SY_BUILD_ROOT") ? std::getenv("SY_BUILD_ROOT") : ".") /
                 "storage-tests";
  fs::path d = root / (name + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void copy_bytes(const void* packet, uint8_t* dst, uint32_t len) { std::memcpy(dst, packet, len); }

std::vector<uint8_t> make_packet(std::mt19937_64& rng, uint32_t len) {
  std::vector<uint8_t> p(len);
  for (auto& b : p) b = static_cast<uint8_t>(rng());
  return p;
}

// A packet of `data` for the writer.
PacketIn packet_of(const std::vector<uint8_t>& data, uint16_t class_id = kNoClass) {
  PacketIn in;
  in.packet = data.data();
  in.copy = copy_bytes;
  in.len = static_cast<uint32_t>(data.size());
  in.class_id = class_id;
  return in;
}

// Appends `in` (stamped now) once the housekeeper has the first segment ready.
void append_once_ready(Writer& writer, PacketIn& in) {
  for (int tries = 0;; ++tries) {
    const uint64_t now = now_ns();
    in.ts_ns = in.start_ns = now;
    if (writer.append_packet(in, now) == Writer::Append::stored) return;
    ASSERT_LT(tries, 5000);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

struct TsharkCount {
  uint64_t packets = 0;
  std::string errors;  // what tshark printed on stderr, its note about running as root aside
};

TsharkCount tshark_count(const fs::path& file) {
  const fs::path err = file.string() + ".err";
  const std::string cmd =
      "tshark -r '" + file.string() + "' -T fields -e frame.number 2>'" + err.string() + "'";
  TsharkCount t;
  FILE* f = popen(cmd.c_str(), "r");
  char line[256];
  while (f && fgets(line, sizeof line, f)) ++t.packets;
  if (f) pclose(f);
  std::ifstream in(err);
  std::string l;
  while (std::getline(in, l))
    if (l.find("Running as user") == std::string::npos && !l.empty()) t.errors += l + "\n";
  fs::remove(err);
  return t;
}

TEST(Crc32c, KnownValues) {
  EXPECT_EQ(crc32c(0, "123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c(0, "", 0), 0u);
  // Continuation equals one pass.
  const char* s = "switchyard storage";
  EXPECT_EQ(crc32c(crc32c(0, s, 5), s + 5, std::strlen(s) - 5), crc32c(0, s, std::strlen(s)));
}

TEST(Pcapng, PadNeverLeavesATooSmallGap) {
  EXPECT_EQ(pcapng_pad_to_page(4096), 0u);
  EXPECT_EQ(pcapng_pad_to_page(4096 - 12), 12u);
  EXPECT_EQ(pcapng_pad_to_page(4096 - 8), 4096u + 8);
  EXPECT_EQ(pcapng_pad_to_page(4096 - 4), 4096u + 4);
  EXPECT_EQ(pcapng_pad_to_page(100), 3996u);
}

TEST(Pcapng, BlocksScanBackAndTornBlockIsDetected) {
  const fs::path dir = test_dir("pcapng");
  std::vector<uint8_t> file(3 * kPageBytes, 0);
  size_t used = write_pcapng_head(file.data(), file.size(), 7, {"wire0", "wire1"});
  ASSERT_GT(used, 0u);
  std::mt19937_64 rng(1);
  std::vector<std::vector<uint8_t>> pkts;
  for (uint32_t i = 0; i < 5; ++i) {
    pkts.push_back(make_packet(rng, 60 + i * 37));
    uint8_t* d =
        epb_begin(file.data() + used, i % 2, 1000 + i, static_cast<uint32_t>(pkts[i].size()),
                  static_cast<uint32_t>(pkts[i].size()));
    std::memcpy(d, pkts[i].data(), pkts[i].size());
    used += epb_finish(file.data() + used, static_cast<uint32_t>(pkts[i].size()), i == 3, 100 + i);
  }
  const uint32_t pad = pcapng_pad_to_page(used);
  write_pad_block(file.data() + used, pad);
  used += pad;
  ASSERT_EQ(used % kPageBytes, 0u);
  file.resize(used);
  const fs::path p = dir / "a.pcapng";
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));

  std::vector<RawPacket> seen;
  std::vector<std::vector<uint8_t>> data;
  const ScanResult r = scan_raw(p, [&](const RawPacket& pk) {
    seen.push_back(pk);
    data.emplace_back(pk.data, pk.data + pk.caplen);
  });
  EXPECT_TRUE(r.clean()) << r.error;
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(r.interfaces, 2u);
  EXPECT_EQ(r.interface_names[1], "wire1");
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(data[i], pkts[i]);
    EXPECT_EQ(seen[i].packet_id, 100 + i);
    EXPECT_EQ(seen[i].ts_ns, 1000 + i);
    EXPECT_EQ(seen[i].interface_id, i % 2);
    EXPECT_EQ(seen[i].outbound, i == 3);
  }
  EXPECT_EQ(r.first_ordinal, 100u);
  EXPECT_EQ(r.last_ordinal, 104u);

  if (std::system("command -v tshark >/dev/null 2>&1") == 0) {
    const TsharkCount t = tshark_count(p);
    EXPECT_EQ(t.packets, 5u) << "tshark must read every packet and nothing else";
    EXPECT_EQ(t.errors, "");
  }

  // One flipped byte inside the third packet's data: the scan stops before that block.
  std::vector<uint8_t> bad = file;
  size_t third = 0;
  {
    size_t off = 0;
    int epb = 0;
    while (off < bad.size()) {
      uint32_t type, len;
      std::memcpy(&type, &bad[off], 4);
      std::memcpy(&len, &bad[off + 4], 4);
      if (type == kPcapngEpb && ++epb == 3) third = off;
      off += len;
    }
  }
  ASSERT_NE(third, 0u);
  bad[third + 40] ^= 0x55;
  const fs::path q = dir / "b.pcapng";
  std::ofstream(q, std::ios::binary)
      .write(reinterpret_cast<const char*>(bad.data()), static_cast<std::streamsize>(bad.size()));
  const ScanResult rb = scan_raw(q);
  EXPECT_FALSE(rb.clean());
  EXPECT_EQ(rb.valid_bytes, third);
  EXPECT_EQ(rb.records, 2u);
  EXPECT_NE(rb.error.find("CRC"), std::string::npos) << rb.error;
  fs::remove_all(dir);
}

TEST(Canonical, PageSealAndCheck) {
  alignas(64) uint8_t page[kPageBytes] = {};
  auto* recs = reinterpret_cast<CanonicalRecord*>(page + sizeof(CanonPageHeader));
  for (int i = 0; i < 10; ++i) {
    recs[i] = CanonicalRecord{};
    recs[i].rx_ns = 1000 + static_cast<uint64_t>(i);
    recs[i].locate = 5;
  }
  seal_canon_page(page, 3, 9, 500, 10);
  std::string why;
  EXPECT_TRUE(check_canon_page(page, 3, 9, &why)) << why;
  EXPECT_FALSE(check_canon_page(page, 3, 10, &why));  // another position
  page[sizeof(CanonPageHeader) + 64 * 3 + 2] ^= 1;
  EXPECT_FALSE(check_canon_page(page, 3, 9, &why));
  EXPECT_EQ(why, "page CRC mismatch");
  alignas(64) uint8_t header[kPageBytes];
  write_canon_segment_header(header, 42, 1);
  uint64_t id = 0;
  EXPECT_TRUE(check_canon_segment_header(header, &id, &why)) << why;
  EXPECT_EQ(id, 42u);
}

TEST(SegmentNames, RoundTrip) {
  Stream s;
  uint64_t id;
  EXPECT_TRUE(parse_segment_file_name(segment_file_name(Stream::raw, 12), &s, &id));
  EXPECT_EQ(s, Stream::raw);
  EXPECT_EQ(id, 12u);
  EXPECT_TRUE(parse_segment_file_name(segment_file_name(Stream::canonical, 3), &s, &id));
  EXPECT_EQ(s, Stream::canonical);
  EXPECT_FALSE(parse_segment_file_name("raw-12.pcapng", &s, &id));
  EXPECT_FALSE(parse_segment_file_name("raw-0000000000000001.pcapng.tmp", &s, &id));
}

struct Written {
  std::vector<std::vector<uint8_t>> packets;
  std::vector<CanonicalRecord> records;
};

// Appends packets and records through the writer, polling as the lcore does, then finishes.
Written write_some(Writer& w, StorageState& st, size_t n_packets, size_t n_records, uint64_t seed) {
  Written out;
  std::mt19937_64 rng(seed);
  size_t p = 0, r = 0;
  while (p < n_packets || r < n_records) {
    const uint64_t now = now_ns();
    if (p < n_packets) {
      if (out.packets.size() == p)
        out.packets.push_back(make_packet(rng, 42 + static_cast<uint32_t>(rng() % 1500)));
      PacketIn in;
      in.packet = out.packets[p].data();
      in.copy = copy_bytes;
      in.len = static_cast<uint32_t>(out.packets[p].size());
      in.port = static_cast<uint16_t>(p % 2);
      in.class_id = 3;
      in.ts_ns = now;
      in.start_ns = now;
      const Writer::Append a = w.append_packet(in, now);
      EXPECT_NE(a, Writer::Append::dropped);
      if (a == Writer::Append::stored) ++p;
    }
    if (r < n_records) {
      if (out.records.size() == r) {
        CanonicalRecord rec{};
        rec.rx_ns = now;
        rec.sequence = r;
        rec.locate = static_cast<uint16_t>(r % 7);
        rec.kind = CanonicalKind::add;
        rec.itch_type = 'A';
        out.records.push_back(rec);
      }
      if (w.append_record(out.records[r], now, now) == Writer::Append::stored) ++r;
    }
    w.poll(now_ns());
  }
  const uint64_t raw_base = st.streams[0].next_sequence.load() - n_packets;
  w.finish(now_ns);
  EXPECT_EQ(st.streams[0].durable_sequence.load(), raw_base + n_packets);
  return out;
}

Options small_options(const fs::path& dir) {
  Options o;
  o.dir = dir.string();
  o.block_bytes = 16 * 1024;
  o.queue_depth = 4;
  o.buffers = 8;
  o.segment_bytes = 256 * 1024;
  o.port_names = {"wire0", "wire1"};
  o.reserve_bytes = 0;
  o.housekeeping_period_ns = 1'000'000;
  return o;
}

void expect_store_matches(const fs::path& dir, const Written& w, uint64_t first_seq = 0) {
  std::string error;
  size_t p = 0, r = 0;
  for (const SegmentFile& f : list_segments(dir, &error)) {
    ScanResult res;
    if (f.stream == Stream::raw) {
      res = scan_raw(f.path, [&](const RawPacket& pk) {
        ASSERT_LT(p, w.packets.size());
        EXPECT_EQ(pk.packet_id, first_seq + p);
        EXPECT_EQ(std::vector<uint8_t>(pk.data, pk.data + pk.caplen), w.packets[p]);
        EXPECT_EQ(pk.interface_id, p % 2);
        ++p;
      });
    } else {
      res = scan_canonical(f.path, [&](const CanonicalRecord& rec, uint64_t seq) {
        ASSERT_LT(r, w.records.size());
        EXPECT_EQ(seq, first_seq + r);
        EXPECT_EQ(std::memcmp(&rec, &w.records[r], sizeof rec), 0);
        ++r;
      });
    }
    EXPECT_TRUE(res.clean()) << f.path << ": " << res.error;
  }
  EXPECT_EQ(p, w.packets.size());
  EXPECT_EQ(r, w.records.size());
}

class WriterTest : public ::testing::TestWithParam<SyncPolicy> {};

TEST_P(WriterTest, RoundTripWithRotation) {
  const fs::path dir = test_dir("roundtrip");
  StorageState st;
  Written w;
  {
    Options o = small_options(dir);
    o.sync = GetParam();
    o.sync_interval_ns = 200'000;
    Writer writer(o, st);
    w = write_some(writer, st, 3000, 5000, 7);
  }
  EXPECT_EQ(st.streams[0].persisted.get(), 3000u);
  EXPECT_EQ(st.streams[1].persisted.get(), 5000u);
  EXPECT_EQ(st.streams[0].unpersisted_total(), 0u);
  EXPECT_EQ(st.streams[1].durable_sequence.load(), 5000u);
  EXPECT_EQ(st.streams[0].latency.snapshot().count, 3000u);
  EXPECT_GT(st.streams[0].segments_opened.get(), 3u) << "256 KiB segments must rotate";
  expect_store_matches(dir, w);
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Policies, WriterTest,
                         ::testing::Values(SyncPolicy::batch, SyncPolicy::interval));

// Short writes (injected in the io layer: the write asks the kernel for half of what is left, so
// its completion is short for real) are resubmitted for their remainder: nothing is lost, the
// store reads back identical, and each short completion and retry is counted.
TEST_P(WriterTest, ShortWritesAreRetriedAndLoseNothing) {
  const fs::path dir = test_dir("short_retry");
  StorageState st;
  Written w;
  {
    Options o = small_options(dir);
    o.sync = GetParam();
    o.test_short_writes = 3;  // at most 3 per write buffer: within the retries
    Writer writer(o, st);
    w = write_some(writer, st, 800, 1500, 11);
  }
  const StreamState& raw = st.streams[0];
  const StreamState& canon = st.streams[1];
  EXPECT_EQ(raw.short_writes.get() + canon.short_writes.get(), 3u);
  EXPECT_EQ(raw.write_retries.get() + canon.write_retries.get(), 3u);
  EXPECT_EQ(raw.persisted.get(), 800u);
  EXPECT_EQ(canon.persisted.get(), 1500u);
  EXPECT_EQ(raw.unpersisted_total() + canon.unpersisted_total(), 0u);
  expect_store_matches(dir, w);
  fs::remove_all(dir);
}

// A write that stays short past its retries: its records, and whatever followed in its segment,
// are counted not persisted (storage_io); writing continues in a new segment, and what the
// store holds is exactly what was counted persisted.
TEST(ShortWrites, PastTheRetriesAreCountedUnpersistedAndWritingGoesOn) {
  const fs::path dir = test_dir("short_fail");
  StorageState st;
  const StreamState& raw = st.streams[0];
  {
    Options o = small_options(dir);
    o.block_bytes = 64 * 1024;  // halving 64 KiB leaves room for 4 short completions in a row
    o.queue_depth = 1;          // one write in flight: the retries are the same buffer's
    o.buffers = 4;
    o.segment_bytes = 1024 * 1024;
    o.stream_enabled[1] = false;
    o.test_short_writes = 4;  // the first write is short 4 times: one more than its retries
    Writer writer(o, st);
    const std::vector<uint8_t> data(1000, 0x3c);
    PacketIn in = packet_of(data, 2);
    uint64_t stored = 0;
    // Fill the first buffers before the first poll, so the first write is a whole block.
    for (int tries = 0; stored < 2000; ++tries) {
      const uint64_t now = now_ns();
      in.ts_ns = in.start_ns = now;
      const Writer::Append a = writer.append_packet(in, now);
      ASSERT_NE(a, Writer::Append::dropped);
      if (a == Writer::Append::stored) {
        ++stored;
        continue;
      }
      ASSERT_LT(tries, 100000);
      if (stored == 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // the first segment
      else
        writer.wait_completion(1'000'000);
      writer.poll(now_ns());
    }
    writer.finish(now_ns);
    EXPECT_EQ(raw.short_writes.get(), 4u);
    EXPECT_EQ(raw.write_retries.get(), 3u);
    EXPECT_EQ(raw.accepted.get(), 2000u);
    const uint64_t lost = raw.unpersisted[static_cast<size_t>(Unpersisted::storage_io)].get();
    EXPECT_GT(lost, 0u);
    EXPECT_EQ(raw.persisted.get() + lost, 2000u);
    EXPECT_GT(raw.persisted.get(), 0u) << "writing went on in a new segment";
    EXPECT_EQ(st.classes.persisted[2].get() + st.classes.unpersisted[2].get(), 2000u);
    EXPECT_EQ(raw.durable_sequence.load(), 2000u);  // every fate settled
  }
  std::string error;
  uint64_t held = 0;
  for (const SegmentFile& f : list_segments(dir, &error)) {
    const ScanResult r = scan_segment(f);
    EXPECT_TRUE(r.clean()) << f.path << ": " << r.error;
    held += r.records;
  }
  EXPECT_EQ(held, raw.persisted.get());
  fs::remove_all(dir);
}

// storage.pending_records: a record's receive time and class wait in a ring until it is durable;
// a full ring holds appends back (no_room, as a full buffer pool does), it loses nothing, and
// the ring wraps many times over a long round trip.
TEST(PendingRecords, AFullRingHoldsAppendsBackLosesNothingAndWraps) {
  {
    const fs::path dir = test_dir("pending_full");
    StorageState st;
    {
      Options o = small_options(dir);
      o.block_bytes = 64 * 1024;  // 8 blocks hold ~3900 small packets: the ring fills first
      o.segment_bytes = 4 << 20;
      o.pending_records = 1024;
      Writer writer(o, st);
      const std::vector<uint8_t> data(100, 0x22);
      PacketIn in = packet_of(data, 5);
      ASSERT_NO_FATAL_FAILURE(append_once_ready(writer, in));
      // No poll: nothing settles, so exactly pending_records are taken.
      uint32_t stored = 1;
      for (;;) {
        const uint64_t now = now_ns();
        const Writer::Append a = writer.append_packet(in, now);
        ASSERT_NE(a, Writer::Append::dropped);
        if (a == Writer::Append::no_room) break;
        ++stored;
      }
      EXPECT_EQ(stored, 1024u);
      const StreamState& raw = st.streams[0];
      for (int i = 0; i < 10000 && raw.persisted.get() < 1024; ++i) {
        writer.poll(now_ns());
        writer.wait_completion(1'000'000);
      }
      EXPECT_EQ(raw.persisted.get(), 1024u);
      EXPECT_EQ(st.classes.persisted[5].get(), 1024u) << "each record keeps its class";
      EXPECT_EQ(raw.latency.snapshot().count, 1024u) << "and its receive time";
      const uint64_t now = now_ns();
      EXPECT_EQ(writer.append_packet(in, now), Writer::Append::stored) << "room again once durable";
      writer.finish(now_ns);
      EXPECT_EQ(raw.persisted.get(), 1025u);
      EXPECT_EQ(raw.unpersisted_total(), 0u);
    }
    fs::remove_all(dir);
  }
  for (const SyncPolicy sync : {SyncPolicy::batch, SyncPolicy::interval}) {
    const fs::path dir = test_dir("pending_wrap");
    StorageState st;
    Written w;
    {
      Options o = small_options(dir);
      o.sync = sync;
      o.pending_records = 1024;
      Writer writer(o, st);
      w = write_some(writer, st, 6000, 9000, 11);
    }
    EXPECT_EQ(st.streams[0].persisted.get(), 6000u);
    EXPECT_EQ(st.streams[1].persisted.get(), 9000u);
    EXPECT_EQ(st.streams[0].latency.snapshot().count, 6000u);
    EXPECT_EQ(st.classes.persisted[3].get(), 6000u);
    expect_store_matches(dir, w);
    fs::remove_all(dir);
  }
}

// storage.flush_age_us: a partial buffer is written at once while the stream is idle; while a
// write is in flight it waits (until full or flush_age old); 0 writes whenever a slot is free.
TEST(AdaptiveFlush, IdleWritesAtOnceBusyWaitsZeroAgeNeverWaits) {
  for (const uint64_t age : {uint64_t{0}, uint64_t{60'000'000'000}}) {
    const fs::path dir = test_dir("flush_age");
    StorageState st;
    {
      Options o = small_options(dir);
      o.flush_age_ns = age;
      Writer writer(o, st);
      const std::vector<uint8_t> data(100, 0x11);
      PacketIn in = packet_of(data);
      const StreamState& raw = st.streams[0];
      ASSERT_NO_FATAL_FAILURE(append_once_ready(writer, in));
      writer.poll(now_ns());
      EXPECT_EQ(raw.writes.get(), 1u) << "an idle stream writes a partial buffer at once";
      const uint64_t now = now_ns();
      in.ts_ns = in.start_ns = now;
      ASSERT_EQ(writer.append_packet(in, now), Writer::Append::stored);
      writer.poll(now_ns());
      if (age == 0)
        EXPECT_EQ(raw.writes.get(), 2u) << "flush_age 0: written whenever a slot is free";
      else  // poll reaps first: a second write means the first was already durable
        EXPECT_TRUE(raw.writes.get() == 1 || raw.persisted.get() == 1)
            << "a partial buffer waited for no write in flight";
      // Idle again once the first write completes: the second goes without a flush_all.
      for (int i = 0; i < 10000 && raw.persisted.get() < 2; ++i) {
        writer.wait_completion(1'000'000);
        writer.poll(now_ns());
      }
      EXPECT_EQ(raw.persisted.get(), 2u);
      EXPECT_EQ(raw.writes.get(), 2u);
      writer.finish(now_ns);
    }
    fs::remove_all(dir);
  }
}

TEST(Recovery, TornTailsAreCutReportedAndSequencesContinue) {
  const fs::path dir = test_dir("recovery");
  StorageState st1;
  Written w;
  {
    Options o = small_options(dir);
    o.segment_bytes = 4 << 20;  // one segment per stream
    Writer writer(o, st1);
    w = write_some(writer, st1, 500, 700, 3);
  }
  std::string error;
  auto files = list_segments(dir, &error);
  ASSERT_EQ(files.size(), 2u);
  // Simulate a crash: a preallocated zero tail and half a block of garbage after the data.
  for (const SegmentFile& f : files) {
    const int fd = ::open(f.path.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    std::vector<uint8_t> junk(6000, 0xab);
    ASSERT_EQ(pwrite(fd, junk.data(), junk.size(), static_cast<off_t>(f.bytes)), 6000);
    ASSERT_EQ(ftruncate(fd, static_cast<off_t>(f.bytes + 1'000'000)), 0);
    ::close(fd);
    EXPECT_FALSE(scan_segment({f.path, f.stream, f.id, f.bytes + 1'000'000}).clean());
  }
  const RecoveryResult dry = recover_store(dir, true);
  EXPECT_EQ(dry.cuts.size(), 2u);
  EXPECT_EQ(fs::file_size(files[0].path), files[0].bytes + 1'000'000) << "dry run changes nothing";

  StorageState st2;
  Written more;
  {
    Options o = small_options(dir);
    o.segment_bytes = 4 << 20;
    Writer writer(o, st2);
    ASSERT_EQ(st2.recovery.size(), 2u);
    for (const RecoveryCut& c : st2.recovery) {
      EXPECT_FALSE(c.removed);
      EXPECT_FALSE(c.tail_unwritten);
      EXPECT_EQ(c.file_bytes - c.kept_bytes, 1'000'000u);
      EXPECT_FALSE(c.reason.empty());
    }
    EXPECT_EQ(st2.streams[0].next_sequence.load(), 500u);
    EXPECT_EQ(st2.streams[1].next_sequence.load(), 700u);
    more = write_some(writer, st2, 10, 10, 4);
  }
  files = list_segments(dir, &error);
  ASSERT_EQ(files.size(), 4u) << "writing continues in new segments";
  for (const SegmentFile& f : files) EXPECT_TRUE(scan_segment(f).clean()) << f.path;
  fs::remove_all(dir);
}

TEST(Retention, DeletesOldestButRefusesWhileSafeUnlessAuthorised) {
  const fs::path dir = test_dir("retention");
  SafetyState safety;
  safety.set(SafetyMode::safe, false);
  StorageState st;
  {
    Options o = small_options(dir);
    o.retention_bytes = 600 * 1024;
    o.safety = &safety;
    Writer writer(o, st);
    write_some(writer, st, 4000, 0, 9);
    usleep(20'000);
  }
  EXPECT_GT(st.retention_refused.get(), 0u);
  EXPECT_EQ(st.retention_deleted_segments.get(), 0u) << "SAFE refuses destructive operations";

  std::string error;
  const size_t before = list_segments(dir, &error).size();
  StorageState st2;
  st2.retention_authorized_bytes.store(300 * 1024);
  {
    Options o = small_options(dir);
    o.retention_bytes = 600 * 1024;
    o.safety = &safety;
    o.stream_enabled[1] = false;
    Writer writer(o, st2);
    usleep(50'000);  // a few housekeeping rounds
  }
  EXPECT_GE(st2.retention_deleted_segments.get(), 1u);
  EXPECT_LE(st2.retention_deleted_bytes.get(), 300u * 1024);
  EXPECT_LT(st2.retention_authorized_bytes.load(), 300u * 1024);
  EXPECT_LT(list_segments(dir, &error).size(), before);
  bool audited = false;
  for (const StoreEvent& e : st2.events_copy())
    audited = audited || (e.kind == "storage.retention.deleted" &&
                          e.detail.find("authorised") != std::string::npos);
  EXPECT_TRUE(audited);

  safety.set(SafetyMode::normal, false);
  StorageState st3;
  {
    Options o = small_options(dir);
    o.retention_bytes = 600 * 1024;
    o.safety = &safety;
    Writer writer(o, st3);
    usleep(50'000);
  }
  EXPECT_LE(st3.store_bytes.load(), 600u * 1024);
  fs::remove_all(dir);
}

// storage.spare_segments: spares are zero-filled in the background and named ready only once
// synced; each new segment takes one before falling back to fallocate; the store reads back
// identical (the zero tail of a spare is cut when its segment is finished, as a preallocated
// one's is), and ready spares outlive the run for the next one.
std::vector<fs::path> files_with(const fs::path& dir, const std::string& suffix) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(e.path());
  }
  return out;
}

bool all_zero(const fs::path& f) {
  std::ifstream in(f, std::ios::binary);
  char c;
  while (in.get(c))
    if (c != 0) return false;
  return true;
}

void wait_for_spares(const StorageState& st, uint64_t n) {
  for (int i = 0; i < 5000 && st.spare_segments_ready.load() < n; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(st.spare_segments_ready.load(), n) << "spares not filled within 5 s";
}

TEST(Spares, ZeroFilledInTheBackgroundTakenFirstAndTheStoreReadsBackIdentical) {
  const fs::path dir = test_dir("spares");
  StorageState st;
  Written w;
  {
    Options o = small_options(dir);
    o.spare_segments = 3;
    o.spare_fill_bytes_per_s = 1ull << 30;
    Writer writer(o, st);
    ASSERT_NO_FATAL_FAILURE(wait_for_spares(st, 3));
    EXPECT_EQ(st.segments_preallocated.get(), 2u) << "the first segments came before any spare";
    const auto ready = files_with(dir, ".zeroed");
    ASSERT_EQ(ready.size(), 3u);
    for (const fs::path& f : ready) {
      EXPECT_EQ(fs::file_size(f), o.segment_bytes);
      EXPECT_TRUE(all_zero(f)) << f;
    }
    EXPECT_EQ(st.spare_fill_bytes.get(), 3 * o.segment_bytes);
    w = write_some(writer, st, 3000, 5000, 21);
  }
  const uint64_t opened = st.streams[0].segments_opened.get() + st.streams[1].segments_opened.get();
  EXPECT_GT(opened, 6u);
  EXPECT_GE(st.spare_segments_used.get(), 3u) << "rotation takes the ready spares first";
  // Every segment made was either a spare or preallocated; the two made and never taken by
  // the lcore are removed at the stop.
  const uint64_t made = st.spare_segments_used.get() + st.segments_preallocated.get();
  EXPECT_GE(made, opened);
  EXPECT_LE(made, opened + 2);
  EXPECT_EQ(st.streams[0].unpersisted_total() + st.streams[1].unpersisted_total(), 0u);
  expect_store_matches(dir, w);
  if (std::system("command -v tshark >/dev/null 2>&1") == 0) {
    std::string error;
    uint64_t packets = 0;
    for (const SegmentFile& f : list_segments(dir, &error)) {
      if (f.stream != Stream::raw) continue;
      const TsharkCount t = tshark_count(f.path);
      EXPECT_EQ(t.errors, "") << f.path;
      packets += t.packets;
    }
    EXPECT_EQ(packets, 3000u);
  }
  EXPECT_TRUE(files_with(dir, ".filling").empty()) << "a half-filled spare is removed at the stop";
  EXPECT_LE(files_with(dir, ".zeroed").size(), 3u);
  fs::remove_all(dir);
}

TEST(Spares, AStartKeepsReadySparesOfTheSizeAndRemovesPartialMisfitAndSurplusOnes) {
  const fs::path dir = test_dir("spares_adopt");
  Options o = small_options(dir);
  auto make = [&](const std::string& name, uint64_t bytes) {
    std::ofstream(dir / name, std::ios::binary) << std::string(bytes, '\0');
  };
  make("spare-0000000000000005.zeroed", o.segment_bytes);
  make("spare-0000000000000006.zeroed", o.segment_bytes);
  make("spare-0000000000000007.zeroed", 100 * 1024);  // another segment size
  make("spare-0000000000000009.filling", o.segment_bytes);
  StorageState st;
  Written w;
  {
    o.spare_segments = 1;
    o.spare_fill_bytes_per_s = 1;  // nothing new gets filled within the test
    o.stream_enabled[1] = false;
    Writer writer(o, st);
    EXPECT_EQ(st.spare_segments_used.get(), 1u) << "the first raw segment is the kept spare";
    EXPECT_EQ(st.segments_preallocated.get(), 0u);
    EXPECT_FALSE(fs::exists(dir / "spare-0000000000000005.zeroed"));
    EXPECT_FALSE(fs::exists(dir / "spare-0000000000000006.zeroed")) << "one over the count";
    EXPECT_FALSE(fs::exists(dir / "spare-0000000000000007.zeroed"));
    EXPECT_FALSE(fs::exists(dir / "spare-0000000000000009.filling"));
    bool audited = false;
    for (const StoreEvent& e : st.events_copy())
      audited = audited || (e.kind == "storage.spares.adopted" &&
                            e.detail ==
                                "1 ready spare segments kept, 3 removed (partial, other "
                                "size or surplus)");
    EXPECT_TRUE(audited);
    w = write_some(writer, st, 50, 0, 5);
  }
  expect_store_matches(dir, w);
  // The next spare is numbered past every name seen, and its partial fill is gone after stop.
  EXPECT_TRUE(files_with(dir, ".filling").empty());
  fs::remove_all(dir);
}

TEST(Spares, GoFirstWhenFreeSpaceIsUnderTheReserveAndNoneIsFilledThen) {
  const fs::path dir = test_dir("spares_space");
  {
    StorageState st;
    Options o = small_options(dir);
    o.spare_segments = 2;
    o.spare_fill_bytes_per_s = 1ull << 30;
    o.stream_enabled[1] = false;
    Writer writer(o, st);
    ASSERT_NO_FATAL_FAILURE(wait_for_spares(st, 2));
  }
  ASSERT_EQ(files_with(dir, ".zeroed").size(), 2u) << "ready spares outlive the run";
  StorageState st;
  {
    Options o = small_options(dir);
    o.spare_segments = 2;
    o.spare_fill_bytes_per_s = 1ull << 30;
    o.stream_enabled[1] = false;
    o.reserve_bytes = uint64_t{1} << 60;  // more than any disk: free space is always short
    Writer writer(o, st);
    for (int i = 0; i < 5000 && st.spare_segments_removed.get() < 1; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    usleep(20'000);  // more housekeeping rounds: nothing more to remove, nothing filled
    EXPECT_EQ(st.spare_segments_used.get(), 1u);
    EXPECT_EQ(st.spare_segments_removed.get(), 1u);
    EXPECT_EQ(st.spare_segments_ready.load(), 0u);
    EXPECT_EQ(st.spare_fill_bytes.get(), 0u);
    EXPECT_TRUE(st.disk_low.load()) << "the hazard still says the disk is short";
    EXPECT_EQ(st.retention_deleted_segments.get(), 0u);
  }
  EXPECT_TRUE(files_with(dir, ".zeroed").empty());
  EXPECT_TRUE(files_with(dir, ".filling").empty());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sy::storage
