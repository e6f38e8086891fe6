// The mode adapters of this build. Adding a mode: write <mode>_adapter.cc
// implementing ModeAdapter, declare its factory here, and register it in
// registry.cc (DefaultModeRegistry).

#ifndef MIKEY_SERVICE_BROKER_ADAPTERS_H_
#define MIKEY_SERVICE_BROKER_ADAPTERS_H_

#include <memory>

#include "service/broker/mode_adapter.h"

namespace mikey {
namespace service {
namespace keybroker {

// MODE_PSK (RFC 3830 section 3.1). Also answers MIKEY-NULL I_MESSAGEs (data
// type 0 as well) when the request accepts them.
std::unique_ptr<ModeAdapter> NewPskAdapter();

// MODE_PSK_NULL: builds MIKEY-NULL I_MESSAGEs (core/exchange/null_mode.h).
std::unique_ptr<ModeAdapter> NewNullAdapter();

// MODE_DHHMAC (RFC 4650, core/exchange/dhhmac.h).
std::unique_ptr<ModeAdapter> NewDhhmacAdapter();

// MODE_DH: Diffie-Hellman signed with RSA credentials (RFC 3830 §3.3,
// core/exchange/dh.h).
std::unique_ptr<ModeAdapter> NewDhAdapter();

// MODE_PUBLIC_KEY: envelope key under the Responder's certificate (RFC 3830
// §3.2, core/exchange/pk.h).
std::unique_ptr<ModeAdapter> NewPkAdapter();

// MODE_RSA_R: the Responder sends the TGK under the Initiator's certificate
// (RFC 4738, core/exchange/rsa_r.h).
std::unique_ptr<ModeAdapter> NewRsaRAdapter();

}  // namespace keybroker
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_BROKER_ADAPTERS_H_
