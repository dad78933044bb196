// switchyard-audit: checks an audit trail written by the appliance.
//
//   switchyard-audit verify FILE    exit 0: every record matches the schema and the hash chain
//                                   holds; 1: the first broken line and why; 2: usage
#include <iostream>
#include <string>

#include "src/control/audit.hpp"

namespace {

constexpr const char* kUsage =
    "usage: switchyard-audit verify FILE\n"
    "\n"
    "  verify FILE  check every record of an audit trail (JSON lines): the schema\n"
    "               (docs/contracts/audit_event.schema.json), seq = previous + 1, prev_hash =\n"
    "               the previous record's hash, and hash = SHA-256 of the record without it\n"
    "\n"
    "exit codes: 0 intact; 1 broken or unreadable (the first bad line is named); 2 usage\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::cout << kUsage;
    return 0;
  }
  if (argc != 3 || std::string(argv[1]) != "verify") {
    std::cerr << kUsage;
    return 2;
  }
  const sy::control::VerifyResult r = sy::control::verify_audit_file(argv[2]);
  if (!r.ok) {
    std::cerr << "switchyard-audit: " << argv[2] << ": " << r.error << "\n";
    return 1;
  }
  std::cout << argv[2] << ": " << r.records << " records, chain intact, last seq " << r.last_seq
            << ", last hash " << r.last_hash << "\n";
  return 0;
}
