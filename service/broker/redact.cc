#include "service/broker/redact.h"

#include <vector>

#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/reflection.h"
#include "mikey/broker/v1/broker.pb.h"

namespace mikey {
namespace service {
namespace keybroker {

bool IsSecretField(const google::protobuf::FieldDescriptor& field) {
  return field.options().GetExtension(broker::v1::secret);
}

void ClearSecretFields(google::protobuf::Message* message) {
  const google::protobuf::Reflection* reflection = message->GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    if (IsSecretField(*field)) {
      reflection->ClearField(message, field);
      continue;
    }
    if (field->cpp_type() !=
        google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      continue;
    }
    if (field->is_repeated()) {
      const int n = reflection->FieldSize(*message, field);
      for (int i = 0; i < n; ++i) {
        ClearSecretFields(
            reflection->MutableRepeatedMessage(message, field, i));
      }
    } else {
      ClearSecretFields(reflection->MutableMessage(message, field));
    }
  }
}

}  // namespace keybroker
}  // namespace service
}  // namespace mikey
