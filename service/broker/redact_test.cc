#include "service/broker/redact.h"

#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "mikey/broker/v1/broker.pb.h"

namespace mikey {
namespace service {
namespace keybroker {
namespace {

namespace pb = ::mikey::broker::v1;

TEST(RedactTest, ClearsSecretFieldsOnly) {
  pb::InitiateResponse r;
  r.set_i_message("imsg");
  r.set_key_mgmt("mikey aW1zZw==");
  r.set_state("sealed");
  pb::StreamKeys* k = r.add_streams();
  k->set_ssrc(7);
  k->set_master_key("KEYKEYKEYKEYKEYK");
  k->set_master_salt("SALTSALTSALTSA");
  k->set_mki("m");
  r.mutable_key()->set_key_id("psk");
  ClearSecretFields(&r);
  EXPECT_EQ(r.state(), "");
  EXPECT_EQ(r.streams(0).master_key(), "");
  EXPECT_EQ(r.streams(0).master_salt(), "");
  EXPECT_EQ(r.streams(0).ssrc(), 7u);
  EXPECT_EQ(r.streams(0).mki(), "m");
  EXPECT_EQ(r.i_message(), "imsg");
  EXPECT_EQ(r.key().key_id(), "psk");
  const std::string text = r.DebugString();
  EXPECT_EQ(text.find("KEYKEY"), std::string::npos);
  EXPECT_EQ(text.find("SALTSALT"), std::string::npos);

  pb::DeriveSessionKeysRequest d;
  d.set_master_key("a");
  d.set_master_salt("b");
  d.set_suite("s");
  pb::InitiateRequest i;
  i.mutable_key()->set_inline_key("secret");
  ClearSecretFields(&d);
  ClearSecretFields(&i);
  EXPECT_EQ(d.master_key(), "");
  EXPECT_EQ(d.master_salt(), "");
  EXPECT_EQ(d.suite(), "s");
  EXPECT_EQ(i.key().inline_key(), "");
}

// Every bytes field of the API that holds a key, salt or state token is
// marked secret (so a new one cannot be added unmarked by accident).
TEST(RedactTest, KeyFieldsAreMarked) {
  const google::protobuf::FileDescriptor* file =
      pb::InitiateRequest::descriptor()->file();
  int checked = 0;
  for (int m = 0; m < file->message_type_count(); ++m) {
    const google::protobuf::Descriptor* d = file->message_type(m);
    for (int f = 0; f < d->field_count(); ++f) {
      const google::protobuf::FieldDescriptor* field = d->field(f);
      if (field->type() != google::protobuf::FieldDescriptor::TYPE_BYTES) {
        continue;
      }
      const std::string& name = field->name();
      const bool looks_secret = name.find("key") != std::string::npos ||
                                name.find("salt") != std::string::npos ||
                                name == "state";
      EXPECT_EQ(IsSecretField(*field), looks_secret) << field->full_name();
      if (looks_secret) ++checked;
    }
  }
  // master_key/salt (StreamKeys, DeriveSessionKeysRequest), inline_key,
  // state (two), session keys (three).
  EXPECT_EQ(checked, 10);
}

}  // namespace
}  // namespace keybroker
}  // namespace service
}  // namespace mikey
