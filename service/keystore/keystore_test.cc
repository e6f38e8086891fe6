#include "service/keystore/keystore.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/crypto/random.h"
#include "core/crypto/rsa.h"
#include "core/pki/certificate.h"
#include "core/pki/testing/test_pki.h"
#include "core/testing/hex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mikey {
namespace service {
namespace keystore {
namespace {

using ::mikey::testutil::Hex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kKeyA1[] = "000102030405060708090a0b0c0d0e0f";
constexpr char kKeyA2[] =
    "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f";
constexpr char kKeyB1[] = "F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF";

std::vector<uint8_t> Material(const KeyVersion* v) {
  return std::vector<uint8_t>(v->material.span().begin(),
                              v->material.span().end());
}

// A fresh directory under the test's temporary directory.
std::string MakeDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string base = tmp != nullptr ? tmp : "/tmp";
  std::string dir = absl::StrCat(base, "/", name, "_", getpid(), "_",
                                 absl::ToUnixNanos(absl::Now()));
  EXPECT_EQ(mkdir(dir.c_str(), 0700), 0) << dir;
  return dir;
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
  ASSERT_TRUE(f.good()) << path;
}

TEST(KeyFileNameTest, ParsesIdAndVersion) {
  absl::StatusOr<KeyFileName> n = ParseKeyFileName("demo-psk.v1");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->key_id, "demo-psk");
  EXPECT_EQ(n->version, 1u);
  n = ParseKeyFileName("cam_7.front.v42");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->key_id, "cam_7.front");
  EXPECT_EQ(n->version, 42u);
  // Split at the last ".v".
  n = ParseKeyFileName("a.v1.v2");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->key_id, "a.v1");
  EXPECT_EQ(n->version, 2u);
  n = ParseKeyFileName("k.v999999999");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->version, 999999999u);
}

TEST(KeyFileNameTest, RejectsOtherNames) {
  for (const char* bad :
       {"demo-psk", "demo-psk.1", "demo-psk.v", "demo-psk.v0", "demo-psk.v01",
        "demo-psk.v1x", "demo-psk.v-1", ".v1", "de mo.v1", "a/b.v1",
        "k.v1000000000", "demo-psk.v1~"}) {
    absl::StatusOr<KeyFileName> n = ParseKeyFileName(bad);
    EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(KeyFileContentTest, HexWithWhitespace) {
  absl::StatusOr<SecretBytes> k =
      ParseKeyFileContent("  0001020304050607\n08090A0B0C0D0E0F\n", "f.v1");
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(std::vector<uint8_t>(k->span().begin(), k->span().end()),
            Hex(kKeyA1));
}

TEST(KeyFileContentTest, RejectsBadContent) {
  struct Case {
    std::string content;
    const char* what;
  };
  const std::vector<Case> cases = {
      {"", "empty"},
      {"\n\n", "empty"},
      {"000102030405060708090a0b0c0d0e0", "odd number"},
      {"000102030405060708090a0b0c0d0e0g", "offset 31"},
      {"00010203040506070809", "10 octets"},
      {std::string(2 * 1025, 'a'), "1025 octets"},
      {std::string("\x01\x02", 2), "offset 0"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<SecretBytes> k = ParseKeyFileContent(c.content, "f.v1");
    EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument) << c.what;
    EXPECT_THAT(k.status().message(), HasSubstr(c.what));
    EXPECT_THAT(k.status().message(), HasSubstr("f.v1"));
  }
}

TEST(KeySnapshotTest, VersionsNewestFirst) {
  KeySnapshot s;
  ASSERT_TRUE(s.Add("a", 1, Hex(kKeyA1)).ok());
  ASSERT_TRUE(s.Add("a", 3, Hex(kKeyB1)).ok());
  ASSERT_TRUE(s.Add("a", 2, Hex(kKeyA2)).ok());
  EXPECT_EQ(s.Add("a", 2, Hex(kKeyA2)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.Add("a", 0, Hex(kKeyA2)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.Add("bad id", 1, Hex(kKeyA2)).code(),
            absl::StatusCode::kInvalidArgument);
  const Key* a = s.Find("a");
  ASSERT_NE(a, nullptr);
  std::vector<uint32_t> versions;
  for (const KeyVersion& v : a->versions) versions.push_back(v.version);
  EXPECT_THAT(versions, ElementsAre(3, 2, 1));
  absl::StatusOr<const KeyVersion*> newest = s.Newest("a");
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ((*newest)->version, 3u);
  EXPECT_EQ(Material(*newest), Hex(kKeyB1));
  absl::StatusOr<const KeyVersion*> v2 = s.Get("a", 2);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(Material(*v2), Hex(kKeyA2));
  EXPECT_EQ(s.Get("a", 4).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.Newest("b").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.Newest("b").status().message(), HasSubstr("'b'"));
}

TEST(DemoKeysTest, FreshRandomKeys) {
  OpenSslRandom rng;
  absl::StatusOr<std::shared_ptr<const KeySnapshot>> a =
      GenerateDemoKeys({"demo-psk", "state-key"}, rng);
  absl::StatusOr<std::shared_ptr<const KeySnapshot>> b =
      GenerateDemoKeys({"demo-psk", "state-key"}, rng);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_THAT((*a)->ids(), ElementsAre("demo-psk", "state-key"));
  const KeyVersion* a1 = *(*a)->Newest("demo-psk");
  const KeyVersion* a2 = *(*a)->Newest("state-key");
  const KeyVersion* b1 = *(*b)->Newest("demo-psk");
  EXPECT_EQ(a1->version, 1u);
  EXPECT_EQ(a1->material.size(), 32u);
  EXPECT_NE(a1->material, a2->material);
  EXPECT_NE(a1->material, b1->material);
}

TEST(LoadKeyDirectoryTest, PlainLayout) {
  const std::string dir = MakeDir("plain");
  WriteFile(dir + "/a.v1", absl::StrCat(kKeyA1, "\n"));
  WriteFile(dir + "/a.v2", kKeyA2);
  WriteFile(dir + "/b.v7", kKeyB1);
  WriteFile(dir + "/.hidden", "not a key");
  absl::StatusOr<std::shared_ptr<const KeySnapshot>> s = LoadKeyDirectory(dir);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_THAT((*s)->ids(), ElementsAre("a", "b"));
  EXPECT_EQ(Material(*(*s)->Newest("a")), Hex(kKeyA2));
  EXPECT_EQ(Material(*(*s)->Get("a", 1)), Hex(kKeyA1));
  EXPECT_EQ((*(*s)->Newest("b"))->version, 7u);
  EXPECT_EQ(Material(*(*s)->Newest("b")), Hex(kKeyB1));
}

TEST(LoadKeyDirectoryTest, EmptyDirectoryHasNoKeys) {
  absl::StatusOr<std::shared_ptr<const KeySnapshot>> s =
      LoadKeyDirectory(MakeDir("empty"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->key_count(), 0u);
}

TEST(LoadKeyDirectoryTest, MissingDirectory) {
  absl::StatusOr<std::shared_ptr<const KeySnapshot>> s =
      LoadKeyDirectory("/nonexistent/mikey-keys");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("/nonexistent/mikey-keys"));
}

TEST(LoadKeyDirectoryTest, BadFilesFailTheLoad) {
  struct Case {
    const char* name;
    std::string content;
    const char* what;
  };
  const std::vector<Case> cases = {
      {"README", "hello", "not a key file name"},
      {"a.v01", kKeyA1, "leading zeros"},
      {"a.v2", "xyz", "not a hexadecimal digit"},
      {"a.v3", "0011", "2 octets"},
  };
  for (const Case& c : cases) {
    const std::string dir = MakeDir("bad");
    WriteFile(dir + "/a.v1", kKeyA1);
    WriteFile(dir + "/" + c.name, c.content);
    absl::StatusOr<std::shared_ptr<const KeySnapshot>> s =
        LoadKeyDirectory(dir);
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(s.status().message(), HasSubstr(c.what)) << c.name;
    // Never the key material.
    EXPECT_THAT(s.status().message(), ::testing::Not(HasSubstr(kKeyA1)));
  }
  const std::string dir = MakeDir("subdir");
  ASSERT_EQ(mkdir((dir + "/sub.v1").c_str(), 0700), 0);
  absl::StatusOr<std::shared_ptr<const KeySnapshot>> s = LoadKeyDirectory(dir);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("not a regular file"));
}

// The layout the kubelet's atomic writer makes for a Secret volume:
//   ..2024_01_01_00_00_00.1/<key files>
//   ..data -> ..2024_01_01_00_00_00.1
//   <key> -> ..data/<key>
void KubernetesGeneration(
    const std::string& dir, const std::string& gen,
    const std::vector<std::pair<std::string, std::string>>& files) {
  const std::string gen_dir = dir + "/" + gen;
  ASSERT_EQ(mkdir(gen_dir.c_str(), 0700), 0);
  for (const auto& f : files) WriteFile(gen_dir + "/" + f.first, f.second);
  // Atomic swap of ..data, as the kubelet does it: new link, then rename.
  const std::string tmp_link = dir + "/..data_tmp";
  ASSERT_EQ(symlink(gen.c_str(), tmp_link.c_str()), 0);
  ASSERT_EQ(rename(tmp_link.c_str(), (dir + "/..data").c_str()), 0);
  for (const auto& f : files) {
    const std::string link = dir + "/" + f.first;
    unlink(link.c_str());
    ASSERT_EQ(symlink(("..data/" + f.first).c_str(), link.c_str()), 0);
  }
}

TEST(LoadKeyDirectoryTest, KubernetesSecretVolume) {
  const std::string dir = MakeDir("k8s");
  KubernetesGeneration(dir, "..2024_01_01_00_00_00.1",
                       {{"a.v1", kKeyA1}, {"b.v1", kKeyB1}});
  absl::StatusOr<std::shared_ptr<const KeySnapshot>> s = LoadKeyDirectory(dir);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_THAT((*s)->ids(), ElementsAre("a", "b"));
  EXPECT_EQ(Material(*(*s)->Newest("a")), Hex(kKeyA1));
}

TEST(DirectoryKeyStoreTest, ReloadsKubernetesSwap) {
  const std::string dir = MakeDir("k8s_reload");
  KubernetesGeneration(dir, "..2024_01_01_00_00_00.1", {{"a.v1", kKeyA1}});
  std::vector<ReloadEvent> events;
  DirectoryKeyStore::Options options;
  options.reload_interval = absl::ZeroDuration();  // CheckNow only
  options.on_reload = [&events](const ReloadEvent& e) { events.push_back(e); };
  absl::StatusOr<std::unique_ptr<DirectoryKeyStore>> store =
      DirectoryKeyStore::Open(dir, options);
  ASSERT_TRUE(store.ok()) << store.status();
  std::shared_ptr<const KeySnapshot> before = (*store)->Current();
  EXPECT_TRUE((*store)->CheckNow().ok());
  EXPECT_TRUE(events.empty()) << "no change, no reload";

  // A new generation adds version 2 (and keeps version 1).
  KubernetesGeneration(dir, "..2024_01_02_00_00_00.2",
                       {{"a.v1", kKeyA1}, {"a.v2", kKeyA2}});
  EXPECT_TRUE((*store)->CheckNow().ok());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].status.ok());
  std::shared_ptr<const KeySnapshot> after = (*store)->Current();
  EXPECT_EQ((*after->Newest("a"))->version, 2u);
  EXPECT_EQ(Material(*after->Newest("a")), Hex(kKeyA2));
  // The old snapshot is untouched (calls in flight keep using it).
  EXPECT_EQ((*before->Newest("a"))->version, 1u);
  EXPECT_EQ((*store)->stats().reloads, 1u);
}

TEST(DirectoryKeyStoreTest, FailedReloadKeepsPreviousKeys) {
  const std::string dir = MakeDir("failed_reload");
  WriteFile(dir + "/a.v1", kKeyA1);
  std::vector<ReloadEvent> events;
  DirectoryKeyStore::Options options;
  options.reload_interval = absl::ZeroDuration();
  options.on_reload = [&events](const ReloadEvent& e) { events.push_back(e); };
  absl::StatusOr<std::unique_ptr<DirectoryKeyStore>> store =
      DirectoryKeyStore::Open(dir, options);
  ASSERT_TRUE(store.ok()) << store.status();

  WriteFile(dir + "/a.v2", "not hex");
  absl::Status s = (*store)->CheckNow();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].status, s);
  EXPECT_EQ(events[0].key_count, 1u);
  EXPECT_EQ((*(*store)->Current()->Newest("a"))->version, 1u);
  KeystoreStats stats = (*store)->stats();
  EXPECT_EQ(stats.reload_failures, 1u);
  EXPECT_EQ(stats.reloads, 0u);
  EXPECT_EQ(stats.last_failure, s);

  // The same broken state is reported once, not at every check.
  EXPECT_EQ((*store)->CheckNow().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(events.size(), 1u);

  // Fixed: reloaded.
  WriteFile(dir + "/a.v2", kKeyA2);
  EXPECT_TRUE((*store)->CheckNow().ok());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(events[1].status.ok());
  EXPECT_EQ(Material(*(*store)->Current()->Newest("a")), Hex(kKeyA2));
}

TEST(DirectoryKeyStoreTest, OpenFailsOnBadDirectory) {
  const std::string dir = MakeDir("open_bad");
  WriteFile(dir + "/a.v1", "zz");
  absl::StatusOr<std::unique_ptr<DirectoryKeyStore>> store =
      DirectoryKeyStore::Open(dir, {});
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DirectoryKeyStoreTest, BackgroundPollingPicksUpNewVersion) {
  const std::string dir = MakeDir("poll");
  WriteFile(dir + "/a.v1", kKeyA1);
  absl::Mutex mu;
  int reloads = 0;
  DirectoryKeyStore::Options options;
  options.reload_interval = absl::Milliseconds(20);
  options.on_reload = [&](const ReloadEvent& e) {
    absl::MutexLock lock(&mu);
    if (e.status.ok()) ++reloads;
  };
  absl::StatusOr<std::unique_ptr<DirectoryKeyStore>> store =
      DirectoryKeyStore::Open(dir, options);
  ASSERT_TRUE(store.ok()) << store.status();
  WriteFile(dir + "/a.v2", kKeyA2);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while ((*(*store)->Current()->Newest("a"))->version != 2u &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ((*(*store)->Current()->Newest("a"))->version, 2u);
  absl::MutexLock lock(&mu);
  EXPECT_GE(reloads, 1);
  // Destruction stops the poller (the test would hang otherwise).
}

// ---------------------------------------------------------------------------
// RSA credentials: <key_id>.v<N>.key.pem + <key_id>.v<N>.crt.pem.

TEST(KeystoreFileNameTest, Kinds) {
  absl::StatusOr<KeystoreFileName> n =
      ParseKeystoreFileName("cam-1.v3.key.pem");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->key_id, "cam-1");
  EXPECT_EQ(n->version, 3u);
  EXPECT_EQ(n->kind, KeystoreFileName::Kind::kPrivateKey);
  n = ParseKeystoreFileName("cam.front.v12.crt.pem");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->key_id, "cam.front");
  EXPECT_EQ(n->version, 12u);
  EXPECT_EQ(n->kind, KeystoreFileName::Kind::kCertificateChain);
  n = ParseKeystoreFileName("psk.v2");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->kind, KeystoreFileName::Kind::kHexKey);
  // A hex key whose id ends in ".key.pem" is still a hex key.
  n = ParseKeystoreFileName("x.key.pem.v1");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->key_id, "x.key.pem");
  EXPECT_EQ(n->kind, KeystoreFileName::Kind::kHexKey);
  for (const char* bad : {"cam.key.pem", "cam.v01.crt.pem", "cam.v1.pem",
                          ".v1.key.pem", "cam.v1.key.pem.bak", "cam.v1.crt"}) {
    n = ParseKeystoreFileName(bad);
    EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_THAT(ParseKeystoreFileName("cam.key.pem").status().message(),
              HasSubstr("credential file name"));
}

// PEM as RFC 7468 writes it: base64 in 64-character lines.
std::string Pem(const std::string& label, absl::Span<const uint8_t> der) {
  std::string b64 = absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(der.data()), der.size()));
  std::string out = absl::StrCat("-----BEGIN ", label, "-----\n");
  for (size_t i = 0; i < b64.size(); i += 64) {
    absl::StrAppend(&out, b64.substr(i, 64), "\n");
  }
  absl::StrAppend(&out, "-----END ", label, "-----\n");
  return out;
}

std::string CertPem(const pki::Certificate& c) {
  return Pem("CERTIFICATE", c.der());
}

std::string KeyDer(const RsaPrivateKey& k) {
  absl::StatusOr<SecretBytes> der = k.ToPkcs8Der();
  EXPECT_TRUE(der.ok());
  return std::string(der->span().begin(), der->span().end());
}

std::string KeyPem(const RsaPrivateKey& k) {
  absl::StatusOr<SecretBytes> der = k.ToPkcs8Der();
  EXPECT_TRUE(der.ok());
  return Pem("PRIVATE KEY", der->span());
}

// A CA and two leaves, generated once (RSA key generation is slow).
struct Pki {
  pki::testing::Issued ca, leaf, other;
  static const Pki& Get() {
    static const Pki* p = new Pki();
    return *p;
  }

 private:
  Pki()
      : ca(*pki::testing::Issue(pki::testing::CaSpec("Keystore Test CA"),
                                nullptr)),
        leaf(*pki::testing::Issue(Spec("cam-1", 2), &ca)),
        other(*pki::testing::Issue(Spec("cam-2", 3), &ca)) {}
  static pki::testing::CertSpec Spec(const std::string& cn, long serial) {
    pki::testing::CertSpec s;
    s.common_name = cn;
    s.san_uris = {"sip:" + cn + "@example.org"};
    s.serial = serial;
    return s;
  }
};

bool SameKey(const RsaPrivateKey& a, const RsaPrivateKey& b) {
  absl::StatusOr<RsaPublicKey> pa = a.PublicKey();
  absl::StatusOr<RsaPublicKey> pb = b.PublicKey();
  return pa.ok() && pb.ok() && pa->Equals(*pb);
}

TEST(CredentialTest, LoadsPemAndDerVersionsNextToHexKeys) {
  const Pki& p = Pki::Get();
  const std::string dir = MakeDir("cred");
  WriteFile(dir + "/psk.v1", kKeyA1);
  // v1: PEM key (with text before it, as some tools write), leaf + CA.
  WriteFile(dir + "/cam.v1.key.pem", "Bag Attributes\n" + KeyPem(p.leaf.key));
  WriteFile(dir + "/cam.v1.crt.pem",
            "subject=CN = cam-1\n" + CertPem(p.leaf.cert) + CertPem(p.ca.cert));
  // v2: DER key, leaf only.
  WriteFile(dir + "/cam.v2.key.pem", KeyDer(p.other.key));
  WriteFile(dir + "/cam.v2.crt.pem", CertPem(p.other.cert));
  absl::StatusOr<std::shared_ptr<const KeySnapshot>> s = LoadKeyDirectory(dir);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_THAT((*s)->ids(), ElementsAre("cam", "psk"));
  EXPECT_EQ((*s)->credential_count(), 1u);
  EXPECT_FALSE((*(*s)->Newest("psk"))->is_credential());

  const KeyVersion* v2 = *(*s)->Newest("cam");
  EXPECT_EQ(v2->version, 2u);
  ASSERT_TRUE(v2->is_credential());
  EXPECT_TRUE(v2->material.empty());
  EXPECT_TRUE(SameKey(v2->credential->key, p.other.key));
  ASSERT_EQ(v2->credential->chain.size(), 1u);
  EXPECT_EQ(v2->credential->chain[0].der(), p.other.cert.der());

  const KeyVersion* v1 = *(*s)->Get("cam", 1);
  ASSERT_TRUE(v1->is_credential());
  EXPECT_TRUE(SameKey(v1->credential->key, p.leaf.key));
  EXPECT_FALSE(SameKey(v1->credential->key, p.other.key));
  ASSERT_EQ(v1->credential->chain.size(), 2u);
  EXPECT_EQ(v1->credential->chain[0].der(), p.leaf.cert.der());
  EXPECT_EQ(v1->credential->chain[1].der(), p.ca.cert.der());
}

TEST(CredentialTest, LargerCapForCredentialFilesOnly) {
  const Pki& p = Pki::Get();
  const std::string dir = MakeDir("cred_big");
  // 100 KiB of comment text before the chain: above the 64 KiB of hex key
  // files, below kMaxCredentialFileSize.
  const std::string padding(100 * 1024, '#');
  WriteFile(dir + "/cam.v1.key.pem", KeyPem(p.leaf.key));
  WriteFile(dir + "/cam.v1.crt.pem", padding + "\n" + CertPem(p.leaf.cert));
  absl::StatusOr<std::shared_ptr<const KeySnapshot>> s = LoadKeyDirectory(dir);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE((*(*s)->Newest("cam"))->is_credential());
  // The same padding in a hex key file is refused.
  WriteFile(dir + "/psk.v1", padding);
  EXPECT_THAT(LoadKeyDirectory(dir).status().message(),
              HasSubstr("larger than 65536"));
  unlink((dir + "/psk.v1").c_str());
  // And a credential file beyond its own cap.
  WriteFile(dir + "/cam.v1.crt.pem",
            std::string(kMaxCredentialFileSize + 1, '#'));
  EXPECT_THAT(LoadKeyDirectory(dir).status().message(),
              HasSubstr(absl::StrCat("larger than ", kMaxCredentialFileSize)));
}

TEST(CredentialTest, BadCredentialsFailTheLoad) {
  const Pki& p = Pki::Get();
  const std::string key_pem = KeyPem(p.leaf.key);
  const std::string key_b64 = absl::Base64Escape(KeyDer(p.leaf.key));
  struct Case {
    const char* name;
    std::vector<std::pair<std::string, std::string>> files;
    const char* what;
  };
  const std::vector<Case> cases = {
      {"key without chain",
       {{"cam.v1.key.pem", key_pem}},
       "without cam.v1.crt.pem"},
      {"chain without key",
       {{"cam.v1.crt.pem", CertPem(p.leaf.cert)}},
       "without cam.v1.key.pem"},
      {"key of another certificate",
       {{"cam.v1.key.pem", key_pem}, {"cam.v1.crt.pem", CertPem(p.other.cert)}},
       "does not belong"},
      {"CA first, leaf second",
       {{"cam.v1.key.pem", key_pem},
        {"cam.v1.crt.pem", CertPem(p.ca.cert) + CertPem(p.leaf.cert)}},
       "leaf certificate must come first"},
      {"encrypted key",
       {{"cam.v1.key.pem", Pem("ENCRYPTED PRIVATE KEY", Hex("3000"))},
        {"cam.v1.crt.pem", CertPem(p.leaf.cert)}},
       "encrypted"},
      {"EC key label",
       {{"cam.v1.key.pem", Pem("EC PRIVATE KEY", Hex("3000"))},
        {"cam.v1.crt.pem", CertPem(p.leaf.cert)}},
       "an RSA key"},
      {"unterminated PEM",
       {{"cam.v1.key.pem", "-----BEGIN PRIVATE KEY-----\n" + key_b64 + "\n"},
        {"cam.v1.crt.pem", CertPem(p.leaf.cert)}},
       "no END line"},
      {"private key in the chain file",
       {{"cam.v1.key.pem", key_pem},
        {"cam.v1.crt.pem", CertPem(p.leaf.cert) + key_pem}},
       "only CERTIFICATE blocks"},
      {"no certificate",
       {{"cam.v1.key.pem", key_pem}, {"cam.v1.crt.pem", "nothing here\n"}},
       "cam.v1.crt.pem"},
      {"garbage certificate",
       {{"cam.v1.key.pem", key_pem},
        {"cam.v1.crt.pem", Pem("CERTIFICATE", Hex("300100"))}},
       "certificate 1"},
      {"hex and credential versions of one id",
       {{"cam.v1.key.pem", key_pem},
        {"cam.v1.crt.pem", CertPem(p.leaf.cert)},
        {"cam.v2", kKeyA1}},
       "one or the other"},
  };
  for (const Case& c : cases) {
    const std::string dir = MakeDir("cred_bad");
    for (const auto& f : c.files) WriteFile(dir + "/" + f.first, f.second);
    absl::StatusOr<std::shared_ptr<const KeySnapshot>> s =
        LoadKeyDirectory(dir);
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(s.status().message(), HasSubstr(c.what)) << c.name;
    // Never any of the private key.
    EXPECT_THAT(s.status().message(),
                ::testing::Not(HasSubstr(key_b64.substr(40, 24))))
        << c.name;
  }
}

TEST(CredentialTest, SnapshotRefusesMixedKinds) {
  const Pki& p = Pki::Get();
  absl::StatusOr<std::shared_ptr<const Credential>> cred =
      ParseCredentialFiles(KeyPem(p.leaf.key), "k", CertPem(p.leaf.cert), "c");
  ASSERT_TRUE(cred.ok()) << cred.status();
  KeySnapshot s;
  ASSERT_TRUE(s.AddCredential("cam", 1, *cred).ok());
  EXPECT_EQ(s.Add("cam", 2, Hex(kKeyA1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.AddCredential("cam", 1, *cred).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.AddCredential("cam", 2, nullptr).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(s.Add("psk", 1, Hex(kKeyA1)).ok());
  EXPECT_EQ(s.AddCredential("psk", 2, *cred).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace keystore
}  // namespace service
}  // namespace mikey
