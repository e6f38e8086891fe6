#include "service/broker/registry.h"

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "service/broker/adapters.h"

namespace mikey {
namespace service {
namespace keybroker {

absl::Status ModeRegistry::Register(std::unique_ptr<ModeAdapter> adapter) {
  const ModeAdapter::Traits& t = adapter->traits();
  if (by_mode_.count(t.mode) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("mode ", ModeName(t.mode), " registered twice"));
  }
  for (uint8_t dt : t.i_message_data_types) {
    if (by_data_type_.count(dt) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "data type ", dt, " claimed by two modes (", ModeName(t.mode), ", ",
          ModeName(by_data_type_[dt]->traits().mode), ")"));
    }
  }
  by_mode_[t.mode] = adapter.get();
  for (uint8_t dt : t.i_message_data_types) by_data_type_[dt] = adapter.get();
  adapters_.push_back(std::move(adapter));
  return absl::OkStatus();
}

const ModeAdapter* ModeRegistry::ByMode(broker::v1::Mode mode) const {
  auto it = by_mode_.find(mode);
  return it == by_mode_.end() ? nullptr : it->second;
}

const ModeAdapter* ModeRegistry::ByIMessageDataType(uint8_t data_type) const {
  auto it = by_data_type_.find(data_type);
  return it == by_data_type_.end() ? nullptr : it->second;
}

std::string ModeRegistry::ModeNames() const {
  std::string out;
  for (const auto& a : adapters_) {
    if (!out.empty()) out += ", ";
    out += ModeName(a->traits().mode);
  }
  return out;
}

ModeRegistry DefaultModeRegistry() {
  ModeRegistry registry;
  // One line per mode. (Registration only fails on a clash, which a test
  // of this function would catch.)
  registry.Register(NewPskAdapter()).IgnoreError();
  registry.Register(NewNullAdapter()).IgnoreError();
  registry.Register(NewDhhmacAdapter()).IgnoreError();
  registry.Register(NewDhAdapter()).IgnoreError();
  registry.Register(NewPkAdapter()).IgnoreError();
  registry.Register(NewRsaRAdapter()).IgnoreError();
  return registry;
}

}  // namespace keybroker
}  // namespace service
}  // namespace mikey
