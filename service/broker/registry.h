// The mode adapters a Broker dispatches to: by mode for Initiate and
// Complete, by I_MESSAGE data type for Respond.

#ifndef MIKEY_SERVICE_BROKER_REGISTRY_H_
#define MIKEY_SERVICE_BROKER_REGISTRY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "mikey/broker/v1/broker.pb.h"
#include "service/broker/mode_adapter.h"

namespace mikey {
namespace service {
namespace keybroker {

class ModeRegistry {
 public:
  ModeRegistry() = default;
  ModeRegistry(ModeRegistry&&) = default;
  ModeRegistry& operator=(ModeRegistry&&) = default;

  // INVALID_ARGUMENT if the mode or one of its data types is taken.
  absl::Status Register(std::unique_ptr<ModeAdapter> adapter);

  // nullptr when no adapter is registered.
  const ModeAdapter* ByMode(broker::v1::Mode mode) const;
  const ModeAdapter* ByIMessageDataType(uint8_t data_type) const;
  // "PSK, PSK_NULL, ..." in registration order, for error messages.
  std::string ModeNames() const;

 private:
  std::vector<std::unique_ptr<ModeAdapter>> adapters_;
  std::map<int, const ModeAdapter*> by_mode_;
  std::map<uint8_t, const ModeAdapter*> by_data_type_;
};

// Every adapter of this build: PSK, PSK_NULL, DHHMAC, DH, PUBLIC_KEY, RSA_R.
ModeRegistry DefaultModeRegistry();

}  // namespace keybroker
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_BROKER_REGISTRY_H_
