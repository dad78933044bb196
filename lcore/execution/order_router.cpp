#include "lcore/execution/order_router.hpp"

namespace sy::exec {

namespace {
constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
}

void venue_token(uint64_t epoch, uint32_t slot, char out[risk::kTokenBytes]) {
  out[0] = 'S';
  out[1] = 'Y';
  uint64_t v = slot;
  for (size_t i = 0; i < kVenueTokenSlotDigits; ++i, v /= 36)
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

TokenOwner venue_token_owner(const char token[risk::kTokenBytes], uint64_t epoch, uint32_t& slot) {
  uint64_t e = 0, s = 0;
  if (token[0] != 'S' || token[1] != 'Y' || !base36(token + 2, kVenueTokenEpochDigits, e) ||
      !base36(token + 2 + kVenueTokenEpochDigits, kVenueTokenSlotDigits, s) || s >= risk::kNoSlot)
    return TokenOwner::not_ours;
  if (e != epoch % kVenueTokenEpochs) return TokenOwner::earlier_run;
  slot = static_cast<uint32_t>(s);
  return TokenOwner::this_run;
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
