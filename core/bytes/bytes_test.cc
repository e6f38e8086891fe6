#include <cstdint>
#include <sstream>
#include <vector>

#include "core/bytes/reader.h"
#include "core/bytes/secret_bytes.h"
#include "core/bytes/writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mikey {
namespace {

using ::testing::HasSubstr;

TEST(ReaderTest, ReadsBigEndianIntegers) {
  const std::vector<uint8_t> data = {0x01, 0x02, 0x03, 0x04, 0x05,
                                     0x06, 0x07, 0x08, 0x09, 0x0a,
                                     0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
  Reader r(data);
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  ASSERT_TRUE(r.ReadU8("a", &u8).ok());
  ASSERT_TRUE(r.ReadU16("b", &u16).ok());
  ASSERT_TRUE(r.ReadU32("c", &u32).ok());
  ASSERT_TRUE(r.ReadU64("d", &u64).ok());
  EXPECT_EQ(u8, 0x01);
  EXPECT_EQ(u16, 0x0203);
  EXPECT_EQ(u32, 0x04050607u);
  EXPECT_EQ(u64, 0x08090a0b0c0d0e0full);
  EXPECT_TRUE(r.empty());
}

TEST(ReaderTest, TruncatedReadNamesFieldAndOffsetAndConsumesNothing) {
  const std::vector<uint8_t> data = {0xaa, 0xbb, 0xcc};
  Reader r(data, /*base_offset=*/10, "T payload");
  uint8_t u8;
  ASSERT_TRUE(r.ReadU8("ts type", &u8).ok());
  uint32_t u32;
  absl::Status s = r.ReadU32("ts value", &u32);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("T payload"));
  EXPECT_THAT(s.message(), HasSubstr("ts value"));
  EXPECT_THAT(s.message(), HasSubstr("offset 11"));
  EXPECT_THAT(s.message(), HasSubstr("2 left"));
  EXPECT_EQ(r.offset(), 11u);
  EXPECT_EQ(r.remaining(), 2u);
}

TEST(ReaderTest, SubReaderKeepsAbsoluteOffsets) {
  const std::vector<uint8_t> data = {1, 2, 3, 4, 5};
  Reader r(data, 100);
  uint8_t skip;
  ASSERT_TRUE(r.ReadU8("x", &skip).ok());
  Reader sub(absl::Span<const uint8_t>(), 0);
  ASSERT_TRUE(r.ReadSubReader("body", 3, "inner", &sub).ok());
  EXPECT_EQ(sub.offset(), 101u);
  EXPECT_EQ(sub.remaining(), 3u);
  uint32_t too_much;
  absl::Status s = sub.ReadU32("field", &too_much);
  EXPECT_THAT(s.message(), HasSubstr("inner: field at offset 101"));
  EXPECT_EQ(r.remaining(), 1u);
  EXPECT_FALSE(r.ReadSubReader("body", 2, "inner", &sub).ok());
}

TEST(ReaderTest, ReadBytesChecksLength) {
  const std::vector<uint8_t> data = {1, 2, 3};
  Reader r(data);
  absl::Span<const uint8_t> out;
  EXPECT_FALSE(r.ReadBytes("f", 4, &out).ok());
  ASSERT_TRUE(r.ReadBytes("f", 3, &out).ok());
  EXPECT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2], 3);
  EXPECT_TRUE(r.ReadRest().empty());
}

TEST(WriterTest, WritesBigEndianAndLengthPrefixes) {
  Writer w;
  w.AddU8(0x01);
  w.AddU16(0x0203);
  w.AddU32(0x04050607);
  w.AddU64(0x08090a0b0c0d0e0full);
  const std::vector<uint8_t> payload = {0xaa, 0xbb};
  ASSERT_TRUE(w.AddU8LengthPrefixed("p8", payload).ok());
  ASSERT_TRUE(w.AddU16LengthPrefixed("p16", payload).ok());
  const std::vector<uint8_t> expected = {
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
      0x0c, 0x0d, 0x0e, 0x0f, 0x02, 0xaa, 0xbb, 0x00, 0x02, 0xaa, 0xbb};
  EXPECT_EQ(std::move(w).Finish(), expected);
}

TEST(WriterTest, OversizedLengthPrefixFailsAndWritesNothing) {
  Writer w;
  std::vector<uint8_t> big(256, 0);
  absl::Status s = w.AddU8LengthPrefixed("RAND", big);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("RAND"));
  EXPECT_EQ(w.size(), 0u);
  std::vector<uint8_t> huge(65536, 0);
  EXPECT_FALSE(w.AddU16LengthPrefixed("data", huge).ok());
  EXPECT_EQ(w.size(), 0u);
  EXPECT_TRUE(Writer::CheckFits("x", 4095, 12).ok());
  EXPECT_FALSE(Writer::CheckFits("x", 4096, 12).ok());
}

TEST(SecretBytesTest, NeverPrintsContents) {
  const std::vector<uint8_t> key = {0xde, 0xad, 0xbe, 0xef};
  SecretBytes s(key);
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "<secret 4 octets>");
}

TEST(SecretBytesTest, ComparesByValueAndMovesOut) {
  const std::vector<uint8_t> a = {1, 2, 3};
  const std::vector<uint8_t> b = {1, 2, 4};
  EXPECT_EQ(SecretBytes(a), SecretBytes(a));
  EXPECT_NE(SecretBytes(a), SecretBytes(b));
  EXPECT_NE(SecretBytes(a), SecretBytes(absl::MakeConstSpan(a).first(2)));
  SecretBytes moved_from(a);
  SecretBytes moved_to(std::move(moved_from));
  EXPECT_TRUE(moved_from.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(moved_to.size(), 3u);
}

TEST(SecretBytesTest, WipeClearsStorage) {
  const std::vector<uint8_t> key(32, 0x5a);
  SecretBytes s(key);
  uint8_t* p = s.data();
  // Wipe the bytes in place first (as the destructor does) and look at them
  // while the storage is still ours.
  SecureWipe(p, s.size());
  for (size_t i = 0; i < 32; ++i) EXPECT_EQ(p[i], 0) << i;
}

TEST(ConstantTimeEqualsTest, LengthAndContent) {
  const std::vector<uint8_t> a = {1, 2, 3};
  const std::vector<uint8_t> b = {1, 2, 3};
  const std::vector<uint8_t> c = {1, 2, 2};
  EXPECT_TRUE(ConstantTimeEquals(a, b));
  EXPECT_FALSE(ConstantTimeEquals(a, c));
  EXPECT_FALSE(ConstantTimeEquals(a, absl::MakeConstSpan(b).first(2)));
  EXPECT_TRUE(ConstantTimeEquals({}, {}));
}

}  // namespace
}  // namespace mikey
