#include "storage/recovery.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "storage/scan.hpp"

namespace sy::storage {

RecoveryResult recover_store(const std::string& dir, bool dry_run) {
  std::error_code ec;
  if (!dry_run) std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("storage.dir " + dir + ": cannot create: " + ec.message());
  std::string error;
  const std::vector<SegmentFile> files = list_segments(dir, &error);
  if (!error.empty()) throw std::runtime_error("storage.dir: " + error);

  RecoveryResult out;
  for (size_t s = 0; s < kStreams; ++s) {
    std::vector<const SegmentFile*> mine;
    for (const auto& f : files)
      if (static_cast<size_t>(f.stream) == s) mine.push_back(&f);
    if (mine.empty()) continue;
    out.next_segment_id[s] = mine.back()->id + 1;
    bool sequence_known = false;
    // Newest first: cut the newest ones; keep looking back for the last sequence written.
    for (size_t k = mine.size(); k-- > 0;) {
      const SegmentFile& f = *mine[k];
      const bool newest = mine.size() - k <= kRecoverNewest;
      if (!newest && sequence_known) break;
      const ScanResult r = scan_segment(f);
      ++out.scanned;
      if (r.has_records && !sequence_known) {
        out.next_sequence[s] = r.last_ordinal + 1;
        sequence_known = true;
      }
      if (!newest || r.clean()) continue;
      RecoveryCut cut;
      cut.segment = f.path;
      cut.file_bytes = r.file_bytes;
      // A raw segment with only its header blocks, or a canonical one with only its header
      // page, holds nothing: removed like an empty one.
      cut.removed = !r.has_records;
      cut.kept_bytes = cut.removed ? 0 : r.valid_bytes;
      cut.tail_unwritten = r.tail_unwritten;
      cut.reason = r.error;
      if (!dry_run) {
        if (cut.removed) {
          if (::unlink(f.path.c_str()) != 0)
            throw std::runtime_error("storage recovery: cannot remove " + f.path + ": " +
                                     std::strerror(errno));
        } else {
          const int fd = ::open(f.path.c_str(), O_WRONLY | O_CLOEXEC);
          if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(r.valid_bytes)) != 0 ||
              ::fsync(fd) != 0) {
            const int err = errno;
            if (fd >= 0) ::close(fd);
            throw std::runtime_error("storage recovery: cannot truncate " + f.path + ": " +
                                     std::strerror(err));
          }
          ::close(fd);
        }
      }
      out.cuts.push_back(cut);
    }
  }
  if (!dry_run && !out.cuts.empty()) {
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }
  return out;
}

}  // namespace sy::storage
