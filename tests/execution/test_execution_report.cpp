// The execution part of the exit summary: lines that appear only when their counts say so.
#include <gtest/gtest.h>

#include "src/execution_report.hpp"

namespace sy {
namespace {

nlohmann::json report(uint64_t modify_refused, uint64_t replay_unavailable) {
  nlohmann::json latency = {{"p50_ns", 900}, {"p99_ns", 4000}, {"count", 10}};
  return {{"venue_up", true},
          {"router",
           {{"orders_in", 12},
            {"forwarded", 9},
            {"rejected", 1},
            {"ignored", 0},
            {"modify_refused", modify_refused},
            {"venue_messages", 20},
            {"relayed", 20}}},
          {"orphans",
           {{"found", 0},
            {"closed", 0},
            {"open", 0},
            {"untracked", 0},
            {"replay_unavailable", replay_unavailable}}},
          {"latency", {{"rx_to_decision", latency}, {"rx_to_tx", latency}}}};
}

TEST(ExecutionText, NamesRefusedModifiesAndGivenUpVenueMessagesOnlyWhenThereAreAny) {
  const std::string quiet = execution_text(report(0, 0));
  EXPECT_NE(quiet.find("venue up            12           9           1"), std::string::npos)
      << quiet;
  EXPECT_EQ(quiet.find("Modify Orders refused"), std::string::npos) << quiet;
  EXPECT_EQ(quiet.find("CHECK VENUE"), std::string::npos) << quiet;

  const std::string loud = execution_text(report(2, 7));
  EXPECT_NE(loud.find("modify: 2 Modify Orders refused by the gate (not forwarded, not answered)"),
            std::string::npos)
      << loud;
  EXPECT_NE(loud.find("venue replay: 7 messages the venue could not retransmit (given up)"),
            std::string::npos)
      << loud;
  EXPECT_NE(loud.find("CHECK VENUE"), std::string::npos) << loud;
}

}  // namespace
}  // namespace sy
