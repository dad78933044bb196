#include "src/proto/itch50.hpp"

#include <cstring>

#include "src/net/wire.hpp"

namespace sy::proto {

namespace {

using net::load_be16;
using net::load_be32;
using net::load_be64;
using net::store_be16;
using net::store_be32;
using net::store_be64;

inline uint64_t load_be48(const uint8_t* p) {
  return uint64_t{load_be16(p)} << 32 | load_be32(p + 2);
}
inline void store_be48(uint8_t* p, uint64_t v) {
  store_be16(p, static_cast<uint16_t>(v >> 32));
  store_be32(p + 2, static_cast<uint32_t>(v));
}

template <size_t N>
inline void load_alpha(char (&dst)[N], const uint8_t* p) {
  std::memcpy(dst, p, N);
}
template <size_t N>
inline void store_alpha(uint8_t* p, const char (&src)[N]) {
  std::memcpy(p, src, N);
}

}  // namespace

bool decode_itch(const uint8_t* p, size_t len, ItchMessage& m, ProtoError& error) noexcept {
  if (len == 0) {
    error = ProtoError::itch_empty;
    return false;
  }
  const size_t need = itch_length(p[0]);
  if (need == 0) {
    error = ProtoError::itch_unknown_type;
    return false;
  }
  if (len < need) {
    error = ProtoError::itch_short;
    return false;
  }
  m = ItchMessage{};
  m.type = p[0];
  m.locate = load_be16(p + 1);
  m.tracking = load_be16(p + 3);
  m.timestamp_ns = load_be48(p + 5);
  switch (static_cast<ItchType>(p[0])) {
    case ItchType::system_event:
      m.event_code = p[11];
      break;
    case ItchType::stock_directory:
      load_alpha(m.stock, p + 11);
      m.market_category = p[19];
      m.financial_status = p[20];
      m.round_lot_size = load_be32(p + 21);
      m.round_lots_only = p[25];
      m.issue_classification = p[26];
      load_alpha(m.issue_subtype, p + 27);
      m.authenticity = p[29];
      m.short_sale_threshold = p[30];
      m.ipo_flag = p[31];
      m.luld_tier = p[32];
      m.etp_flag = p[33];
      m.etp_leverage_factor = load_be32(p + 34);
      m.inverse_indicator = p[38];
      break;
    case ItchType::trading_action:
      load_alpha(m.stock, p + 11);
      m.trading_state = p[19];
      m.reserved = p[20];
      load_alpha(m.reason, p + 21);
      break;
    case ItchType::reg_sho:
      load_alpha(m.stock, p + 11);
      m.reg_sho_action = p[19];
      break;
    case ItchType::market_participant:
      load_alpha(m.attribution, p + 11);
      load_alpha(m.stock, p + 15);
      m.primary_market_maker = p[23];
      m.market_maker_mode = p[24];
      m.market_participant_state = p[25];
      break;
    case ItchType::mwcb_decline_level:
      m.mwcb_level1 = load_be64(p + 11);
      m.mwcb_level2 = load_be64(p + 19);
      m.mwcb_level3 = load_be64(p + 27);
      break;
    case ItchType::mwcb_status:
      m.breached_level = p[11];
      break;
    case ItchType::ipo_quoting_period:
      load_alpha(m.stock, p + 11);
      m.ipo_release_time = load_be32(p + 19);
      m.ipo_release_qualifier = p[23];
      m.ipo_price = load_be32(p + 24);
      break;
    case ItchType::luld_auction_collar:
      load_alpha(m.stock, p + 11);
      m.collar_reference_price = load_be32(p + 19);
      m.upper_collar_price = load_be32(p + 23);
      m.lower_collar_price = load_be32(p + 27);
      m.collar_extension = load_be32(p + 31);
      break;
    case ItchType::operational_halt:
      load_alpha(m.stock, p + 11);
      m.market_code = p[19];
      m.halt_action = p[20];
      break;
    case ItchType::add_order_mpid:
      load_alpha(m.attribution, p + 36);
      [[fallthrough]];
    case ItchType::add_order:
      m.order_ref = load_be64(p + 11);
      m.side = p[19];
      m.shares = load_be32(p + 20);
      load_alpha(m.stock, p + 24);
      m.price = load_be32(p + 32);
      break;
    case ItchType::order_executed_price:
      m.printable = p[31];
      m.price = load_be32(p + 32);
      [[fallthrough]];
    case ItchType::order_executed:
      m.order_ref = load_be64(p + 11);
      m.shares = load_be32(p + 19);
      m.match_number = load_be64(p + 23);
      break;
    case ItchType::order_cancel:
      m.order_ref = load_be64(p + 11);
      m.shares = load_be32(p + 19);
      break;
    case ItchType::order_delete:
      m.order_ref = load_be64(p + 11);
      break;
    case ItchType::order_replace:
      m.order_ref = load_be64(p + 11);
      m.new_order_ref = load_be64(p + 19);
      m.shares = load_be32(p + 27);
      m.price = load_be32(p + 31);
      break;
    case ItchType::trade:
      m.order_ref = load_be64(p + 11);
      m.side = p[19];
      m.shares = load_be32(p + 20);
      load_alpha(m.stock, p + 24);
      m.price = load_be32(p + 32);
      m.match_number = load_be64(p + 36);
      break;
    case ItchType::cross_trade:
      m.shares = load_be64(p + 11);
      load_alpha(m.stock, p + 19);
      m.price = load_be32(p + 27);
      m.match_number = load_be64(p + 31);
      m.cross_type = p[39];
      break;
    case ItchType::broken_trade:
      m.match_number = load_be64(p + 11);
      break;
    case ItchType::noii:
      m.paired_shares = load_be64(p + 11);
      m.imbalance_shares = load_be64(p + 19);
      m.imbalance_direction = p[27];
      load_alpha(m.stock, p + 28);
      m.far_price = load_be32(p + 36);
      m.near_price = load_be32(p + 40);
      m.current_reference_price = load_be32(p + 44);
      m.cross_type = p[48];
      m.price_variation = p[49];
      break;
    case ItchType::retail_price_improvement:
      load_alpha(m.stock, p + 11);
      m.interest_flag = p[19];
      break;
    case ItchType::direct_listing_price_discovery:
      load_alpha(m.stock, p + 11);
      m.open_eligibility = p[19];
      m.min_allowable_price = load_be32(p + 20);
      m.max_allowable_price = load_be32(p + 24);
      m.near_execution_price = load_be32(p + 28);
      m.near_execution_time = load_be64(p + 32);
      m.lower_price_collar = load_be32(p + 40);
      m.upper_price_collar = load_be32(p + 44);
      break;
  }
  return true;
}

size_t encode_itch(const ItchMessage& m, uint8_t* p, size_t cap) noexcept {
  const size_t len = itch_length(m.type);
  if (len == 0 || cap < len) return 0;
  // Shares wider than the 4-byte wire fields are cut to their low 32 bits, like the timestamp
  // to 48: the encoder writes what the layout can hold and never fails on a value.
  const auto shares32 = static_cast<uint32_t>(m.shares);
  p[0] = m.type;
  store_be16(p + 1, m.locate);
  store_be16(p + 3, m.tracking);
  store_be48(p + 5, m.timestamp_ns);
  switch (static_cast<ItchType>(m.type)) {
    case ItchType::system_event:
      p[11] = m.event_code;
      break;
    case ItchType::stock_directory:
      store_alpha(p + 11, m.stock);
      p[19] = m.market_category;
      p[20] = m.financial_status;
      store_be32(p + 21, m.round_lot_size);
      p[25] = m.round_lots_only;
      p[26] = m.issue_classification;
      store_alpha(p + 27, m.issue_subtype);
      p[29] = m.authenticity;
      p[30] = m.short_sale_threshold;
      p[31] = m.ipo_flag;
      p[32] = m.luld_tier;
      p[33] = m.etp_flag;
      store_be32(p + 34, m.etp_leverage_factor);
      p[38] = m.inverse_indicator;
      break;
    case ItchType::trading_action:
      store_alpha(p + 11, m.stock);
      p[19] = m.trading_state;
      p[20] = m.reserved;
      store_alpha(p + 21, m.reason);
      break;
    case ItchType::reg_sho:
      store_alpha(p + 11, m.stock);
      p[19] = m.reg_sho_action;
      break;
    case ItchType::market_participant:
      store_alpha(p + 11, m.attribution);
      store_alpha(p + 15, m.stock);
      p[23] = m.primary_market_maker;
      p[24] = m.market_maker_mode;
      p[25] = m.market_participant_state;
      break;
    case ItchType::mwcb_decline_level:
      store_be64(p + 11, m.mwcb_level1);
      store_be64(p + 19, m.mwcb_level2);
      store_be64(p + 27, m.mwcb_level3);
      break;
    case ItchType::mwcb_status:
      p[11] = m.breached_level;
      break;
    case ItchType::ipo_quoting_period:
      store_alpha(p + 11, m.stock);
      store_be32(p + 19, m.ipo_release_time);
      p[23] = m.ipo_release_qualifier;
      store_be32(p + 24, m.ipo_price);
      break;
    case ItchType::luld_auction_collar:
      store_alpha(p + 11, m.stock);
      store_be32(p + 19, m.collar_reference_price);
      store_be32(p + 23, m.upper_collar_price);
      store_be32(p + 27, m.lower_collar_price);
      store_be32(p + 31, m.collar_extension);
      break;
    case ItchType::operational_halt:
      store_alpha(p + 11, m.stock);
      p[19] = m.market_code;
      p[20] = m.halt_action;
      break;
    case ItchType::add_order_mpid:
      store_alpha(p + 36, m.attribution);
      [[fallthrough]];
    case ItchType::add_order:
      store_be64(p + 11, m.order_ref);
      p[19] = m.side;
      store_be32(p + 20, shares32);
      store_alpha(p + 24, m.stock);
      store_be32(p + 32, m.price);
      break;
    case ItchType::order_executed_price:
      p[31] = m.printable;
      store_be32(p + 32, m.price);
      [[fallthrough]];
    case ItchType::order_executed:
      store_be64(p + 11, m.order_ref);
      store_be32(p + 19, shares32);
      store_be64(p + 23, m.match_number);
      break;
    case ItchType::order_cancel:
      store_be64(p + 11, m.order_ref);
      store_be32(p + 19, shares32);
      break;
    case ItchType::order_delete:
      store_be64(p + 11, m.order_ref);
      break;
    case ItchType::order_replace:
      store_be64(p + 11, m.order_ref);
      store_be64(p + 19, m.new_order_ref);
      store_be32(p + 27, shares32);
      store_be32(p + 31, m.price);
      break;
    case ItchType::trade:
      store_be64(p + 11, m.order_ref);
      p[19] = m.side;
      store_be32(p + 20, shares32);
      store_alpha(p + 24, m.stock);
      store_be32(p + 32, m.price);
      store_be64(p + 36, m.match_number);
      break;
    case ItchType::cross_trade:
      store_be64(p + 11, m.shares);
      store_alpha(p + 19, m.stock);
      store_be32(p + 27, m.price);
      store_be64(p + 31, m.match_number);
      p[39] = m.cross_type;
      break;
    case ItchType::broken_trade:
      store_be64(p + 11, m.match_number);
      break;
    case ItchType::noii:
      store_be64(p + 11, m.paired_shares);
      store_be64(p + 19, m.imbalance_shares);
      p[27] = m.imbalance_direction;
      store_alpha(p + 28, m.stock);
      store_be32(p + 36, m.far_price);
      store_be32(p + 40, m.near_price);
      store_be32(p + 44, m.current_reference_price);
      p[48] = m.cross_type;
      p[49] = m.price_variation;
      break;
    case ItchType::retail_price_improvement:
      store_alpha(p + 11, m.stock);
      p[19] = m.interest_flag;
      break;
    case ItchType::direct_listing_price_discovery:
      store_alpha(p + 11, m.stock);
      p[19] = m.open_eligibility;
      store_be32(p + 20, m.min_allowable_price);
      store_be32(p + 24, m.max_allowable_price);
      store_be32(p + 28, m.near_execution_price);
      store_be64(p + 32, m.near_execution_time);
      store_be32(p + 40, m.lower_price_collar);
      store_be32(p + 44, m.upper_price_collar);
      break;
  }
  return len;
}

bool to_canonical(const ItchMessage& m, CanonicalRecord& r) noexcept {
  if (!is_itch_type(m.type)) return false;
  r = CanonicalRecord{};
  r.itch_type = m.type;
  r.locate = m.locate;
  r.exchange_ns = m.timestamp_ns;
  // Only Q carries 8-byte shares; every other type's shares came from a 4-byte field.
  const auto shares32 = static_cast<uint32_t>(m.shares);
  switch (static_cast<ItchType>(m.type)) {
    case ItchType::add_order:
    case ItchType::add_order_mpid:
      r.kind = CanonicalKind::add;
      r.order_ref = m.order_ref;
      r.side = m.side;
      r.shares = shares32;
      r.price = m.price;
      break;
    case ItchType::order_executed:
      r.kind = CanonicalKind::execute;
      r.order_ref = m.order_ref;
      r.shares = shares32;
      r.match_number = m.match_number;
      break;
    case ItchType::order_executed_price:
      r.kind = CanonicalKind::execute_price;
      r.order_ref = m.order_ref;
      r.shares = shares32;
      r.match_number = m.match_number;
      r.price = m.price;
      r.code = m.printable;
      break;
    case ItchType::order_cancel:
      r.kind = CanonicalKind::cancel;
      r.order_ref = m.order_ref;
      r.shares = shares32;
      break;
    case ItchType::order_delete:
      r.kind = CanonicalKind::delete_order;
      r.order_ref = m.order_ref;
      break;
    case ItchType::order_replace:
      r.kind = CanonicalKind::replace;
      r.order_ref = m.order_ref;
      r.new_order_ref = m.new_order_ref;
      r.shares = shares32;
      r.price = m.price;
      break;
    case ItchType::trade:
      // P's order reference is 0 by rule (non-displayed orders); the record leaves it out.
      r.kind = CanonicalKind::trade;
      r.side = m.side;
      r.shares = shares32;
      r.price = m.price;
      r.match_number = m.match_number;
      break;
    case ItchType::cross_trade:
      r.kind = CanonicalKind::cross;
      if (m.shares > UINT32_MAX) {
        r.shares = UINT32_MAX;
        r.flags = kRecSharesSaturated;
      } else {
        r.shares = shares32;
      }
      r.price = m.price;
      r.match_number = m.match_number;
      r.code = m.cross_type;
      break;
    case ItchType::broken_trade:
      r.kind = CanonicalKind::broken_trade;
      r.match_number = m.match_number;
      break;
    case ItchType::system_event:
      r.kind = CanonicalKind::system_event;
      r.code = m.event_code;
      break;
    case ItchType::stock_directory:
      r.kind = CanonicalKind::directory;
      break;
    case ItchType::trading_action:
      r.kind = CanonicalKind::trading_action;
      r.code = m.trading_state;
      break;
    case ItchType::reg_sho:
    case ItchType::market_participant:
    case ItchType::mwcb_decline_level:
    case ItchType::mwcb_status:
    case ItchType::ipo_quoting_period:
    case ItchType::luld_auction_collar:
    case ItchType::operational_halt:
    case ItchType::noii:
    case ItchType::retail_price_improvement:
    case ItchType::direct_listing_price_discovery:
      r.kind = CanonicalKind::other;
      break;
  }
  return true;
}

bool decode_canonical(const uint8_t* p, size_t len, CanonicalRecord& r, const uint8_t*& stock,
                      ProtoError& error) noexcept {
  stock = nullptr;
  if (len == 0) {
    error = ProtoError::itch_empty;
    return false;
  }
  const uint8_t type = p[0];
  const size_t need = itch_length(type);
  // Order flow is most of a feed: skip the 208-byte intermediate for it.
  switch (type) {
    case 'A':
    case 'F':
    case 'E':
    case 'C':
    case 'X':
    case 'D':
    case 'U':
    case 'P':
      break;
    default: {
      ItchMessage m;
      if (!decode_itch(p, len, m, error)) return false;
      to_canonical(m, r);
      if (type == 'R') stock = p + 11;
      return true;
    }
  }
  if (len < need) {
    error = ProtoError::itch_short;
    return false;
  }
  r = CanonicalRecord{};
  r.itch_type = type;
  r.locate = net::load_be16(p + 1);
  r.exchange_ns = uint64_t{net::load_be16(p + 5)} << 32 | net::load_be32(p + 7);
  r.order_ref = net::load_be64(p + 11);
  switch (type) {
    case 'A':
    case 'F':
      r.kind = CanonicalKind::add;
      r.side = p[19];
      r.shares = net::load_be32(p + 20);
      r.price = net::load_be32(p + 32);
      break;
    case 'E':
      r.kind = CanonicalKind::execute;
      r.shares = net::load_be32(p + 19);
      r.match_number = net::load_be64(p + 23);
      break;
    case 'C':
      r.kind = CanonicalKind::execute_price;
      r.shares = net::load_be32(p + 19);
      r.match_number = net::load_be64(p + 23);
      r.code = p[31];
      r.price = net::load_be32(p + 32);
      break;
    case 'X':
      r.kind = CanonicalKind::cancel;
      r.shares = net::load_be32(p + 19);
      break;
    case 'D':
      r.kind = CanonicalKind::delete_order;
      break;
    case 'U':
      r.kind = CanonicalKind::replace;
      r.new_order_ref = net::load_be64(p + 19);
      r.shares = net::load_be32(p + 27);
      r.price = net::load_be32(p + 31);
      break;
    case 'P':
      r.kind = CanonicalKind::trade;
      r.order_ref = 0;  // non-displayed orders: the record leaves it out, as to_canonical does
      r.side = p[19];
      r.shares = net::load_be32(p + 20);
      r.price = net::load_be32(p + 32);
      r.match_number = net::load_be64(p + 36);
      break;
  }
  return true;
}

}  // namespace sy::proto
