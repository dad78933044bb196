#include "lcore/execution/order_router.hpp"

#include <cassert>

namespace sy::exec {

namespace {
constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
}

void venue_token(uint64_t epoch, VenueTokenId id, char out[risk::kTokenBytes]) {
  assert(id.slot < (1u << kVenueTokenSlotBits) && id.account < kMaxAccounts);
  out[0] = 'S';
  out[1] = 'Y';
  uint64_t v = uint64_t{id.account} << kVenueTokenSlotBits | id.slot;
  for (size_t i = 0; i < kVenueTokenIdDigits; ++i, v /= 36)
    out[risk::kTokenBytes - 1 - i] = kDigits[v % 36];
  v = epoch % kVenueTokenEpochs;
  for (size_t i = 0; i < kVenueTokenEpochDigits; ++i, v /= 36)
    out[2 + kVenueTokenEpochDigits - 1 - i] = kDigits[v % 36];
}

namespace {

bool base36(const char* p, size_t n, uint64_t& v) {
  v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = p[i];
    uint64_t d;
    if (c >= '0' && c <= '9')
      d = static_cast<uint64_t>(c - '0');
    else if (c >= 'A' && c <= 'Z')
      d = static_cast<uint64_t>(c - 'A') + 10;
    else
      return false;
    v = v * 36 + d;
  }
  return true;
}

}  // namespace

TokenOwner venue_token_owner(const char token[risk::kTokenBytes], uint64_t epoch,
                             VenueTokenId& id) {
  uint64_t e = 0, v = 0;
  if (token[0] != 'S' || token[1] != 'Y' || !base36(token + 2, kVenueTokenEpochDigits, e) ||
      !base36(token + 2 + kVenueTokenEpochDigits, kVenueTokenIdDigits, v) ||
      (v >> kVenueTokenSlotBits) >= kMaxAccounts)
    return TokenOwner::not_ours;
  id.slot = static_cast<uint32_t>(v & ((1u << kVenueTokenSlotBits) - 1));
  id.account = static_cast<uint8_t>(v >> kVenueTokenSlotBits);
  return e == epoch % kVenueTokenEpochs ? TokenOwner::this_run : TokenOwner::earlier_run;
}

OrderRouter::OrderRouter(const RouterConfig& cfg, risk::PolicyExchange& policies)
    : venue_(cfg.venue),
      gate_(policies, cfg.gate),
      out_(std::make_unique<session::Output>()),
      orphans_(cfg.orphan_capacity),
      epoch_(cfg.token_epoch % kVenueTokenEpochs),
      orphan_retry_ns_(cfg.orphan_cancel_retry_ns) {
  for (const ClientSessionSpec& c : cfg.clients) clients_.push_back(std::make_unique<Client>(c));
}

}  // namespace sy::exec
