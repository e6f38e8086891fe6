#include <cstdint>
#include <numeric>
#include <sstream>
#include <utility>
#include <vector>

#include "core/bytes/inline_vector.h"
#include "core/bytes/reader.h"
#include "core/bytes/secret_bytes.h"
#include "core/bytes/short_copy.h"
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
  uint8_t u8 = 0;
  uint16_t u16 = 0;
  uint32_t u32 = 0;
  uint64_t u64 = 0;
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

TEST(ReaderTest, TryReadsConsumeNothingWhenShort) {
  const std::vector<uint8_t> data = {7, 8, 9};
  Reader r(data, 40, "SP payload");
  uint8_t u8 = 0;
  ASSERT_TRUE(r.TryReadU8(&u8));
  EXPECT_EQ(u8, 7);
  absl::Span<const uint8_t> out;
  EXPECT_FALSE(r.TryReadBytes(3, &out));
  EXPECT_EQ(r.offset(), 41u);
  ASSERT_TRUE(r.TryReadBytes(2, &out));
  EXPECT_EQ(out, absl::MakeConstSpan(data).subspan(1));
  EXPECT_FALSE(r.TryReadU8(&u8));
  EXPECT_EQ(u8, 7);  // untouched
  EXPECT_TRUE(r.empty());
}

TEST(ReaderTest, TryReadU16AndU32AreBigEndianAndConsumeNothingWhenShort) {
  const std::vector<uint8_t> data = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  Reader r(data);
  uint16_t u16 = 0;
  uint32_t u32 = 0;
  ASSERT_TRUE(r.TryReadU16(&u16));
  EXPECT_EQ(u16, 0x0102);
  ASSERT_TRUE(r.TryReadU32(&u32));
  EXPECT_EQ(u32, 0x03040506u);
  EXPECT_FALSE(r.TryReadU32(&u32));
  EXPECT_FALSE(r.TryReadU16(&u16));
  EXPECT_EQ(u32, 0x03040506u);  // untouched
  EXPECT_EQ(u16, 0x0102);
  EXPECT_EQ(r.offset(), 6u);
  EXPECT_EQ(r.remaining(), 1u);
}

TEST(FixedWriterTest, WritesBigEndianIntoItsBuffer) {
  std::vector<uint8_t> buf(22, 0xee);
  FixedWriter w(absl::MakeSpan(buf));
  w.AddU8(0x01);
  w.AddU16(0x0203);
  w.AddU32(0x04050607);
  w.AddU64(0x08090a0b0c0d0e0full);
  const std::vector<uint8_t> payload = {0xaa, 0xbb};
  ASSERT_TRUE(w.AddU8LengthPrefixed("p8", payload).ok());
  ASSERT_TRUE(w.AddU16LengthPrefixed("p16", payload).ok());
  EXPECT_TRUE(w.full());
  EXPECT_EQ(w.written(), 22u);
  const std::vector<uint8_t> expected = {
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
      0x0c, 0x0d, 0x0e, 0x0f, 0x02, 0xaa, 0xbb, 0x00, 0x02, 0xaa, 0xbb};
  EXPECT_EQ(buf, expected);
}

TEST(FixedWriterTest, WritesSecretBytesIntoSecretBytes) {
  const std::vector<uint8_t> key = {0xde, 0xad, 0xbe, 0xef, 0x01};
  SecretBytes out(7);
  FixedWriter w(out.mutable_span());
  w.AddU16(0x0005);
  w.AddSecretBytes(key);
  EXPECT_TRUE(w.full());
  EXPECT_EQ(out, SecretBytes(std::vector<uint8_t>{0x00, 0x05, 0xde, 0xad, 0xbe,
                                                  0xef, 0x01}));
  w.AddSecretBytes(key);  // no room left
  EXPECT_FALSE(w.ok());
}

TEST(FixedWriterTest, AWriteThatDoesNotFitFailsTheWriterForGood) {
  std::vector<uint8_t> buf(3, 0);
  FixedWriter w(absl::MakeSpan(buf));
  w.AddU16(0x0102);
  w.AddU16(0x0304);  // 1 octet left: dropped, and the writer fails
  EXPECT_FALSE(w.ok());
  EXPECT_FALSE(w.full());
  w.AddU8(0x05);  // would fit, but the writer has failed
  EXPECT_EQ(buf, (std::vector<uint8_t>{0x01, 0x02, 0x00}));
}

TEST(FixedWriterTest, OversizedLengthPrefixFailsAndWritesNothing) {
  std::vector<uint8_t> buf(300, 0);
  FixedWriter w(absl::MakeSpan(buf));
  absl::Status s = w.AddU8LengthPrefixed("RAND", std::vector<uint8_t>(256));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("RAND: value 256 does not fit in 8"));
  EXPECT_EQ(w.written(), 0u);
  EXPECT_TRUE(w.ok());
}

TEST(FixedWriterTest, WritesTypeLengthValuesWithOneCheckEach) {
  std::vector<uint8_t> buf(11, 0xee);
  FixedWriter w(absl::MakeSpan(buf));
  w.AddTypeLengthValue8(0x05, std::vector<uint8_t>{0x01});
  w.AddTypeLengthValue8(0x06, std::vector<uint8_t>{0x00, 0x01, 0x00, 0x00});
  w.AddTypeLengthValue8(0x0b, std::vector<uint8_t>());
  EXPECT_TRUE(w.full());
  // SP policy parameters (RFC 3830 §6.10): type, length, value.
  const std::vector<uint8_t> expected = {0x05, 0x01, 0x01, 0x06, 0x04, 0x00,
                                         0x01, 0x00, 0x00, 0x0b, 0x00};
  EXPECT_EQ(buf, expected);
}

TEST(FixedWriterTest, TypeLengthValueThatDoesNotFitFailsTheWriter) {
  std::vector<uint8_t> buf(4, 0);
  FixedWriter w(absl::MakeSpan(buf));
  w.AddTypeLengthValue8(0x01, std::vector<uint8_t>{0xaa, 0xbb, 0xcc});
  EXPECT_FALSE(w.ok());  // 5 octets into 4: nothing written
  EXPECT_EQ(buf, (std::vector<uint8_t>{0, 0, 0, 0}));

  std::vector<uint8_t> big(300, 0);
  FixedWriter v(absl::MakeSpan(big));
  v.AddTypeLengthValue8(0x01, std::vector<uint8_t>(256, 0x11));
  EXPECT_FALSE(v.ok());  // 256 octets do not fit the length octet
  EXPECT_EQ(v.written(), 0u);
  EXPECT_EQ(big[0], 0);
}

TEST(FixedWriterTest, SubWritersCarveConsecutiveParts) {
  std::vector<uint8_t> buf(5, 0);
  FixedWriter w(absl::MakeSpan(buf));
  FixedWriter a = w.Sub(2);
  FixedWriter b = w.Sub(3);
  EXPECT_TRUE(w.full());
  b.AddU8(0x03);
  b.AddU16(0x0405);
  a.AddU16(0x0102);
  EXPECT_TRUE(a.full());
  EXPECT_TRUE(b.full());
  EXPECT_EQ(buf, (std::vector<uint8_t>{1, 2, 3, 4, 5}));
  FixedWriter too_big = w.Sub(1);  // nothing left
  EXPECT_FALSE(too_big.ok());
  EXPECT_FALSE(w.ok());
}

// CopyShort takes a different path for 0, 1-3, 4-7, 8-15, 16-32 and more
// than 32 octets; each must copy exactly the octets asked for, also when the
// ranges overlap in either direction.
TEST(CopyShortTest, CopiesEverySizeExactly) {
  for (size_t n = 0; n <= 40; ++n) {
    std::vector<uint8_t> src(n);
    std::iota(src.begin(), src.end(), 1);
    std::vector<uint8_t> dst(n + 2, 0xee);
    bytes_internal::CopyShort(absl::MakeSpan(dst), src);
    std::vector<uint8_t> expected = src;
    expected.push_back(0xee);
    expected.push_back(0xee);
    EXPECT_EQ(dst, expected) << n;
  }
}

TEST(CopyShortTest, OverlappingRangesCopyAsMemmove) {
  for (size_t n = 1; n <= 40; ++n) {
    for (size_t shift : {size_t{1}, size_t{3}, size_t{9}}) {
      std::vector<uint8_t> buf(n + shift);
      std::iota(buf.begin(), buf.end(), 1);
      std::vector<uint8_t> forward = buf;
      std::vector<uint8_t> want = buf;
      // Down: [shift, shift + n) to [0, n).
      bytes_internal::CopyShort(absl::MakeSpan(forward),
                                absl::MakeConstSpan(forward).subspan(shift));
      std::copy(want.begin() + shift, want.end(), want.begin());
      EXPECT_EQ(forward, want) << n << " " << shift;
      // Up: [0, n) to [shift, shift + n).
      std::vector<uint8_t> backward = buf;
      want = buf;
      bytes_internal::CopyShort(absl::MakeSpan(backward).subspan(shift),
                                absl::MakeConstSpan(backward).first(n));
      std::copy_backward(want.begin(), want.begin() + n, want.end());
      EXPECT_EQ(backward, want) << n << " " << shift;
    }
  }
}

TEST(InlineVectorTest, ReadsLikeAVectorInlineAndOnTheHeap) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{4}, size_t{5}, size_t{40}}) {
    std::vector<uint8_t> v(n);
    std::iota(v.begin(), v.end(), 10);
    InlineBytes<4> b(v);
    EXPECT_EQ(b.size(), n);
    EXPECT_EQ(b.empty(), n == 0);
    EXPECT_EQ(b, v);
    EXPECT_EQ(v, b);
    EXPECT_EQ(std::vector<uint8_t>(b.begin(), b.end()), v);
    EXPECT_EQ(absl::Span<const uint8_t>(b), absl::MakeConstSpan(v));
    const std::vector<uint8_t> back = b;
    EXPECT_EQ(back, v);
    if (n > 0) {
      EXPECT_EQ(b[n - 1], v[n - 1]);
      EXPECT_EQ(b.back(), v.back());
    }
  }
  EXPECT_EQ(InlineBytes<8>({1, 2, 3}), (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_NE(InlineBytes<8>({1, 2, 3}), (std::vector<uint8_t>{1, 2}));
  EXPECT_NE(InlineBytes<8>({1, 2, 3}), InlineBytes<8>({1, 2, 4}));
  EXPECT_EQ(InlineBytes<8>(3, 0x5a), (std::vector<uint8_t>{0x5a, 0x5a, 0x5a}));
}

TEST(InlineVectorTest, CopiesMovesAndAssignsAcrossTheInlineLimit) {
  const std::vector<uint8_t> small = {1, 2, 3};
  std::vector<uint8_t> large(20);
  std::iota(large.begin(), large.end(), 100);
  for (const auto& [from, to] :
       {std::pair(small, large), std::pair(large, small),
        std::pair(large, large), std::pair(small, small)}) {
    InlineBytes<8> a(from);
    InlineBytes<8> b(to);
    b = a;
    EXPECT_EQ(b, from);
    EXPECT_EQ(a, from);
    InlineBytes<8> c(to);
    c = std::move(a);
    EXPECT_EQ(c, from);
    EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move)
    InlineBytes<8> d(std::move(c));
    EXPECT_EQ(d, from);
    InlineBytes<8> e(d);
    EXPECT_EQ(e, from);
    e.assign(to.begin(), to.end());
    EXPECT_EQ(e, to);
  }
}

TEST(InlineVectorTest, AssignFromItselfAndResize) {
  std::vector<uint8_t> v(12);
  std::iota(v.begin(), v.end(), 1);
  for (size_t n : {size_t{6}, size_t{12}}) {
    InlineBytes<8> b(absl::MakeConstSpan(v).first(n));
    b = b;  // NOLINT(clang-diagnostic-self-assign-overloaded)
    EXPECT_EQ(b, std::vector<uint8_t>(v.begin(), v.begin() + n));
    b.assign(absl::Span<const uint8_t>(b).subspan(2));  // a part of itself
    EXPECT_EQ(b, std::vector<uint8_t>(v.begin() + 2, v.begin() + n));
  }
  InlineBytes<4> b({1, 2});
  b.resize(6, 9);  // inline to heap
  EXPECT_EQ(b, (std::vector<uint8_t>{1, 2, 9, 9, 9, 9}));
  b.resize(3);  // heap to inline
  EXPECT_EQ(b, (std::vector<uint8_t>{1, 2, 9}));
  b.assign(5, 7);
  EXPECT_EQ(b, (std::vector<uint8_t>{7, 7, 7, 7, 7}));
  b.clear();
  EXPECT_TRUE(b.empty());
}

struct Entry {
  uint8_t tag = 0;
  uint32_t value = 0;
  bool operator==(const Entry& o) const {
    return tag == o.tag && value == o.value;
  }
};

TEST(InlineVectorTest, GrowsByPushBackPastTheInlineLimit) {
  InlineVector<Entry, 2> v;
  std::vector<Entry> want;
  for (uint32_t i = 0; i < 100; ++i) {
    if (i % 3 == 0) {
      v.push_back(Entry{static_cast<uint8_t>(i), i * 7});
    } else {
      Entry& e = v.emplace_back();
      e.tag = static_cast<uint8_t>(i);
      e.value = i * 7;
    }
    want.push_back(Entry{static_cast<uint8_t>(i), i * 7});
    ASSERT_EQ(v, want) << i;
  }
  v.push_back(v[0]);  // an element of its own, while it may reallocate
  want.push_back(want[0]);
  EXPECT_EQ(v, want);
  v.resize(1);
  EXPECT_EQ(v, (std::vector<Entry>{Entry{0, 0}}));
  v.resize(3);
  EXPECT_EQ(v, (std::vector<Entry>{Entry{0, 0}, Entry{}, Entry{}}));
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
