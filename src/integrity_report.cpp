#include "src/integrity_report.hpp"

#include <time.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "lcore/integrity/feed_runtime.hpp"
#include "src/book/order_book.hpp"
#include "src/execution_report.hpp"
#include "storage/report.hpp"

namespace sy {

namespace {

constexpr const char* kSchema = "switchyard.integrity_report.v1";
constexpr size_t kMaxTopOfBook = 4096;  // instruments listed with their top of book

uint64_t wall_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

std::string session_text(const uint8_t* s) {
  std::string out;
  for (int i = 0; i < 10; ++i) {
    const char c = static_cast<char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += c;
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", s[i]);
      out += hex;
    }
  }
  return out;
}

nlohmann::json line_json(const integrity::LineHealth& l) {
  return {{"packets", l.packets},
          {"messages", l.messages},
          {"applied", l.applied},
          {"duplicates", l.duplicates},
          {"heartbeats", l.heartbeats},
          {"own_gaps", l.own_gaps},
          {"own_gap_messages", l.own_gap_messages},
          {"last_seen_ns", l.last_seen_ns}};
}

// The parts a snapshot carries.
nlohmann::json feed_json(const conf::FeedConfig& cfg, const integrity::FeedSnapshot& s) {
  const integrity::FeedCounters& c = s.counters;
  nlohmann::json j;
  j["name"] = cfg.name;
  j["state"] = integrity::to_string(s.state);
  j["session"] = s.counters.sessions ? session_text(s.session) : "";
  j["mid_session"] = s.mid_session;
  nlohmann::json lines = nlohmann::json::object();
  for (size_t l = 0; l < cfg.lines.size(); ++l) lines[cfg.lines[l].name] = line_json(s.lines[l]);
  if (cfg.retransmit)
    lines["retransmit"] = line_json(s.lines[static_cast<size_t>(integrity::Line::retransmit)]);
  j["lines"] = lines;
  uint64_t received = 0;
  for (const auto& l : s.lines) received += l.messages;
  j["messages"] = {{"received", received},
                   {"applied", c.applied},
                   {"applied_recovered", c.applied_recovered},
                   {"duplicates", c.duplicates},
                   {"lost", c.lost}};
  j["gaps"] = {{"detected", c.gaps_detected},
               {"messages", c.gap_messages},
               {"filled_in_window", c.filled_in_window},
               {"recovered_other_line", c.recovered_other_line},
               {"recovered_rerequest", c.recovered_rerequest},
               {"lost_messages", c.lost},
               {"ooo_overflows", c.ooo_overflows},
               {"oversize", c.oversize}};
  j["rerequests"] = {{"sent", s.work.requests_sent},
                     {"unsent", s.work.requests_unsent},
                     {"suppressed", c.rerequests_suppressed},
                     {"attempted", c.rerequests}};
  j["stale_periods"] = c.stale_periods;
  j["sessions"] = c.sessions;
  nlohmann::json errors = nlohmann::json::object();
  for (size_t e = 0; e < proto::kProtoErrorCount; ++e)
    errors[proto::kProtoErrorNames[e]] = s.proto_errors[e];
  j["decode_errors"] = errors;
  j["mold_messages_lost"] = s.mold_messages_lost;
  j["packets"] = s.work.packets;
  j["records"] = {{"decoded", s.work.decoded},
                  {"produced", s.work.records},
                  {"dropped_ring_full", s.work.records_dropped}};
  j["books"] = {{"unknown_marks", s.work.books_unknown_marks}, {"resets", s.work.books_resets}};
  j["snapshot_ns"] = s.published_ns;
  return j;
}

// Persistence (storage/report.hpp): watermarks, not-persisted counts by reason, latency budgets,
// recovery cuts, retention and its audit events.
nlohmann::json storage_json(const Runtime& rt) {
  if (!rt.storage_state) return {{"enabled", false}};
  std::vector<std::string> names;
  for (const auto& c : rt.classes.classes) names.push_back(c.name);
  storage::CaptureTotals cap;
  uint32_t hazards = 0;
  for (const auto& lc : rt.lcores) {
    // Capture shed while storage was behind: by the rx lcores (no copy) and by storage itself.
    cap.shed_p2 +=
        lc.stats->capture.dropped[static_cast<size_t>(DropReason::capture_shed_p2)].get();
    cap.shed_p1 +=
        lc.stats->capture.dropped[static_cast<size_t>(DropReason::capture_shed_p1)].get();
    if (lc.cfg->role == conf::Role::storage) {
      hazards = lc.stats->hazards.load(std::memory_order_relaxed);
      continue;
    }
    cap.attempted += lc.stats->capture.packets.get();
    cap.enqueued += lc.stats->capture.delivered.get();
    cap.ring_full += lc.stats->capture.dropped[static_cast<size_t>(DropReason::ring_full)].get();
  }
  return storage::report_json(*rt.storage_state, names, cap, hazards);
}

}  // namespace

nlohmann::json integrity_report_live(const Runtime& rt) {
  nlohmann::json r;
  r["schema"] = kSchema;
  r["final"] = false;
  r["generated_at_ns"] = wall_ns();
  r["clock"] = conf::to_string(rt.cfg->run.clock);
  r["feeds"] = nlohmann::json::array();
  for (const auto& f : rt.feeds) {
    integrity::FeedSnapshot s;
    if (!f->snapshot.read(s)) continue;  // not published yet
    r["feeds"].push_back(feed_json(f->cfg, s));
  }
  r["storage"] = storage_json(rt);
  if (auto x = execution_report_live(rt); !x.is_null()) r["execution"] = std::move(x);
  return r;
}

nlohmann::json integrity_report_final(const Runtime& rt, const Summary& summary) {
  nlohmann::json r;
  r["schema"] = kSchema;
  r["final"] = true;
  r["generated_at_ns"] = wall_ns();
  r["clock"] = conf::to_string(rt.cfg->run.clock);
  r["stop"] = {{"reason", to_string(summary.stop.reason)}, {"forced", summary.stop.forced}};
  r["feeds"] = nlohmann::json::array();
  for (const auto& f : rt.feeds) {
    // The lcore has returned (its finish() published the final state); a forced stop may have
    // skipped that, and publishing from here is then safe since the lcore no longer runs.
    integrity::FeedSnapshot s{};
    if (!f->snapshot.read(s)) {
      f->publish_snapshot(0);
      f->snapshot.read(s);
    }
    nlohmann::json j = feed_json(f->cfg, s);
    nlohmann::json ranges = nlohmann::json::array();
    for (const auto& lr : f->arbiter.lost_ranges())
      ranges.push_back({{"first", lr.first}, {"last", lr.last}, {"time_ns", lr.time_ns}});
    j["gaps"]["lost_ranges"] = ranges;
    j["gaps"]["lost_ranges_unlisted"] = f->arbiter.counters().lost_ranges_unlisted;
    nlohmann::json events = nlohmann::json::array();
    for (const auto& e : f->events)
      events.push_back({{"kind", integrity::to_string(e.kind)},
                        {"time_ns", e.time_ns},
                        {"first", e.first},
                        {"last", e.last}});
    j["events"] = events;
    j["events_unlisted"] = f->events_unlisted;
    nlohmann::json book;
    for (int a = 0; a <= static_cast<int>(book::ApplyResult::ignored); ++a) {
      const auto res = static_cast<book::ApplyResult>(a);
      book[book::to_string(res)] = f->book.count(res);
    }
    uint64_t known = 0, unknown = 0;
    nlohmann::json top = nlohmann::json::array();
    for (uint32_t loc = 1; loc <= f->book.capacity().max_instruments; ++loc) {
      const auto locate = static_cast<uint16_t>(loc);
      const book::InstrumentState* st = f->book.instrument(locate);
      if (st == nullptr) continue;
      ++known;
      unknown += st->book_unknown;
      if (top.size() >= kMaxTopOfBook) continue;
      const book::Bbo b = f->book.bbo(locate);
      top.push_back({{"locate", loc},
                     {"symbol", std::string(st->symbol.data(), st->symbol.size())},
                     {"book_unknown", st->book_unknown},
                     {"bid_price", b.has_bid ? b.bid.price : 0},
                     {"bid_shares", b.has_bid ? b.bid.shares : 0},
                     {"ask_price", b.has_ask ? b.ask.price : 0},
                     {"ask_shares", b.has_ask ? b.ask.shares : 0},
                     {"last_price", st->has_last_trade ? st->last_price : 0},
                     {"volume", st->volume},
                     {"live_orders", st->live_orders}});
    }
    j["books"]["top"] = top;
    j["books"]["results"] = book;
    j["books"]["instruments"] = known;
    j["books"]["instruments_unknown"] = unknown;
    j["books"]["live_orders"] = f->book.live_orders();
    uint64_t persisted = 0;
    for (const auto& lc : rt.lcores) persisted += lc.stats->records_in.get();
    j["records"]["consumed_by_storage"] = persisted;
    r["feeds"].push_back(j);
  }
  r["storage"] = storage_json(rt);
  // Every packet that was not processed, by port and class and reason (the exit summary's books).
  const nlohmann::json sj = summary.to_json();
  r["packets"] = {{"ports", sj["ports"]},
                  {"classes", sj["classes"]},
                  {"identity_violations", sj["identity_violations"]}};
  // Orders: what the router did with every message it did not forward (ignored, rejected,
  // unknown tokens, earlier-run orders), the ledger and the gate's decisions.
  if (sj.contains("execution")) r["execution"] = sj["execution"];
  return r;
}

bool write_report(const std::string& path, const nlohmann::json& report, std::string* error) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << report.dump(2) << "\n";
    out.close();
    if (!out) {
      if (error) *error = "cannot write " + tmp + ": " + std::strerror(errno);
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    if (error) *error = "cannot rename " + tmp + " to " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace sy
