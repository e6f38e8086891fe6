// Clearing key material from API messages, for anything that must show one
// (a debug dump, a test failure): every field marked [(secret) = true] in
// broker.proto is cleared, in nested and repeated messages too. mikeyd
// itself never prints requests or responses.

#ifndef MIKEY_SERVICE_BROKER_REDACT_H_
#define MIKEY_SERVICE_BROKER_REDACT_H_

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace mikey {
namespace service {
namespace keybroker {

// Whether `field` is marked secret.
bool IsSecretField(const google::protobuf::FieldDescriptor& field);

// Clears every secret field of `message`, recursively.
void ClearSecretFields(google::protobuf::Message* message);

}  // namespace keybroker
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_BROKER_REDACT_H_
