// Result types every exchange mode returns (PSK, MIKEY-NULL, and later DH,
// DHHMAC, PK, RSA-R): per crypto session, the SRTP master key and salt and
// what identifies the stream they protect.

#ifndef MIKEY_CORE_EXCHANGE_TYPES_H_
#define MIKEY_CORE_EXCHANGE_TYPES_H_

#include <cstdint>
#include <vector>

#include "core/bytes/secret_bytes.h"
#include "core/message/message.h"
#include "core/srtp/suite.h"

namespace mikey {
namespace exchange {

// The keys of one crypto session (one SRTP stream of an SRTP-ID map).
struct StreamKeys {
  uint32_t ssrc = 0;  // 0: not chosen by the Initiator (RFC 3830 §6.1.1)
  uint32_t roc = 0;
  uint8_t policy_no = 0;
  uint8_t cs_id = 0;  // 1-based index in the CS ID map
  uint32_t csb_id = 0;
  // The suite and the per-session switches of the SP payload that applies
  // (policy.suite == suite). Never null in a returned result.
  const srtp::CryptoSuite* suite = nullptr;
  srtp::SrtpPolicy policy;
  SecretBytes master_key;   // suite->master_key_length octets
  SecretBytes master_salt;  // suite->master_salt_length octets
  Bytes mki;                // SPI/MKI of the key validity data; empty if none
};

struct KeyResult {
  uint32_t csb_id = 0;
  std::vector<StreamKeys> streams;  // in CS ID map order
};

}  // namespace exchange
}  // namespace mikey

#endif  // MIKEY_CORE_EXCHANGE_TYPES_H_
