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

}  // namespace keybroker
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_BROKER_ADAPTERS_H_
