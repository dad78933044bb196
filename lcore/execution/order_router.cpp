#include "lcore/execution/order_router.hpp"

namespace sy::exec {

namespace {
constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
}

// "SY" + the slot in 12 base-36 digits: 36^12 > 2^62, every slot fits.
void venue_token(uint32_t slot, char out[risk::kTokenBytes]) {
  out[0] = 'S';
  out[1] = 'Y';
  uint64_t v = slot;
  for (size_t i = 0; i < kVenueTokenDigits; ++i) {
    out[risk::kTokenBytes - 1 - i] = kDigits[v % 36];
    v /= 36;
  }
}

bool venue_token_slot(const char token[risk::kTokenBytes], uint32_t& slot) {
  if (token[0] != 'S' || token[1] != 'Y') return false;
  uint64_t v = 0;
  for (size_t i = 2; i < risk::kTokenBytes; ++i) {
    const char c = token[i];
    uint64_t d;
    if (c >= '0' && c <= '9')
      d = static_cast<uint64_t>(c - '0');
    else if (c >= 'A' && c <= 'Z')
      d = static_cast<uint64_t>(c - 'A') + 10;
    else
      return false;
    v = v * 36 + d;
  }
  if (v >= risk::kNoSlot) return false;
  slot = static_cast<uint32_t>(v);
  return true;
}

OrderRouter::OrderRouter(const RouterConfig& cfg, risk::PolicyExchange& policies)
    : venue_(cfg.venue), gate_(policies, cfg.gate), out_(std::make_unique<session::Output>()) {
  for (const ClientSessionSpec& c : cfg.clients) clients_.push_back(std::make_unique<Client>(c));
}

}  // namespace sy::exec
