#include "service/keystore/keystore.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "service/trust/certificates.h"

namespace mikey {
namespace service {
namespace keystore {
namespace {

// Key files are tiny: 1024 octets of key are 2048 hex digits.
constexpr size_t kMaxKeyFileSize = 64 * 1024;

constexpr absl::string_view kPrivateKeySuffix = ".key.pem";
constexpr absl::string_view kChainSuffix = ".crt.pem";

// The Kubernetes atomic-writer symlink to the current timestamped directory.
constexpr char kDataLink[] = "..data";

std::string ErrnoText(int err) { return std::strerror(err); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Names of the entries of `dir` that do not start with '.', sorted.
absl::StatusOr<std::vector<std::string>> ListVisible(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    const int err = errno;
    return absl::FailedPreconditionError(
        absl::StrCat("keystore directory ", dir, ": ", ErrnoText(err)));
  }
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    struct dirent* e = readdir(d);
    if (e == nullptr) {
      const int err = errno;
      closedir(d);
      if (err != 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            "keystore directory ", dir, ": reading: ", ErrnoText(err)));
      }
      break;
    }
    if (e->d_name[0] == '.') continue;
    names.emplace_back(e->d_name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The directory to read key files from: the target of "..data" when there is
// one (resolved once, so a whole load reads one generation of the Secret),
// else `dir` itself.
absl::StatusOr<std::string> ContentRoot(const std::string& dir) {
  const std::string link = dir + "/" + kDataLink;
  struct stat st;
  if (lstat(link.c_str(), &st) != 0) {
    if (errno == ENOENT) return dir;
    const int err = errno;
    return absl::FailedPreconditionError(absl::StrCat(
        "keystore directory ", dir, ": ", kDataLink, ": ", ErrnoText(err)));
  }
  char resolved[PATH_MAX];
  if (realpath(link.c_str(), resolved) == nullptr) {
    const int err = errno;
    return absl::FailedPreconditionError(absl::StrCat(
        "keystore directory ", dir, ": ", kDataLink, ": ", ErrnoText(err)));
  }
  return std::string(resolved);
}

// Reads a whole (small) file. The caller wipes the result.
absl::Status ReadKeyFile(const std::string& path, absl::string_view name,
                         size_t max_size, std::string* out) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return absl::FailedPreconditionError(
        absl::StrCat("key file ", name, ": ", ErrnoText(err)));
  }
  out->assign(max_size + 1, '\0');
  size_t got = 0;
  while (got < out->size()) {
    const ssize_t n = read(fd, &(*out)[got], out->size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close(fd);
      return absl::FailedPreconditionError(
          absl::StrCat("key file ", name, ": reading: ", ErrnoText(err)));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  close(fd);
  if (got > max_size) {
    SecureWipe(out->data(), out->size());
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", name, ": larger than ", max_size, " octets"));
  }
  // Shrinking keeps the same buffer (no copy of the key left behind).
  out->resize(got);
  return absl::OkStatus();
}

// A change detector: the "..data" target and, for every visible entry, its
// name and what stat() says of its target.
absl::StatusOr<std::string> Fingerprint(const std::string& dir) {
  std::string fp;
  char target[PATH_MAX];
  const std::string link = dir + "/" + kDataLink;
  const ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
  if (n >= 0) {
    absl::StrAppend(&fp, kDataLink, "->", absl::string_view(target, n), "\n");
  }
  absl::StatusOr<std::vector<std::string>> names = ListVisible(dir);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    struct stat st;
    const std::string path = dir + "/" + name;
    if (stat(path.c_str(), &st) != 0) {
      absl::StrAppend(&fp, name, " error ", errno, "\n");
      continue;
    }
    absl::StrAppend(&fp, name, " ", st.st_mode, " ", st.st_dev, " ", st.st_ino,
                    " ", st.st_size, " ", st.st_mtim.tv_sec, ".",
                    st.st_mtim.tv_nsec, "\n");
  }
  return fp;
}

}  // namespace

bool IsValidKeyId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxKeyIdLength || id[0] == '.') return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

namespace {

absl::Status CheckIdAndVersion(absl::string_view id, uint32_t version) {
  if (!IsValidKeyId(id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key id '", absl::CHexEscape(id.substr(0, kMaxKeyIdLength)),
        "': expected 1 to ", kMaxKeyIdLength,
        " characters of [A-Za-z0-9._-], not starting with '.'"));
  }
  if (version < 1 || version > kMaxVersion) {
    return absl::InvalidArgumentError(absl::StrCat("key ", id, ": version ",
                                                   version, " (expected 1 to ",
                                                   kMaxVersion, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status KeySnapshot::AddVersion(absl::string_view id, KeyVersion v) {
  auto it = keys_.find(id);
  if (it != keys_.end() && !it->second.versions.empty() &&
      it->second.versions.front().is_credential() != v.is_credential()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key ", id,
        ": has both symmetric key versions (<key_id>.v<N>, hex) and RSA "
        "credential versions (<key_id>.v<N>.key.pem / .crt.pem); a key id "
        "is one or the other"));
  }
  Key& key = keys_[id];
  key.id = std::string(id);
  const uint32_t version = v.version;
  auto pos = std::find_if(
      key.versions.begin(), key.versions.end(),
      [version](const KeyVersion& kv) { return kv.version <= version; });
  if (pos != key.versions.end() && pos->version == version) {
    return absl::InvalidArgumentError(
        absl::StrCat("key ", id, ": version ", version, " given twice"));
  }
  key.versions.insert(pos, std::move(v));
  return absl::OkStatus();
}

absl::Status KeySnapshot::Add(absl::string_view id, uint32_t version,
                              absl::Span<const uint8_t> material) {
  if (absl::Status s = CheckIdAndVersion(id, version); !s.ok()) return s;
  if (material.size() < kMinKeyLength || material.size() > kMaxKeyLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key ", id, " version ", version, ": ", material.size(),
        " octets (expected ", kMinKeyLength, " to ", kMaxKeyLength, ")"));
  }
  KeyVersion v;
  v.version = version;
  v.material = SecretBytes(material);
  return AddVersion(id, std::move(v));
}

absl::Status KeySnapshot::AddCredential(
    absl::string_view id, uint32_t version,
    std::shared_ptr<const Credential> credential) {
  if (absl::Status s = CheckIdAndVersion(id, version); !s.ok()) return s;
  if (credential == nullptr || credential->chain.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key ", id, " version ", version, ": credential without certificate"));
  }
  KeyVersion v;
  v.version = version;
  v.credential = std::move(credential);
  return AddVersion(id, std::move(v));
}

const Key* KeySnapshot::Find(absl::string_view id) const {
  auto it = keys_.find(id);
  return it == keys_.end() ? nullptr : &it->second;
}

absl::StatusOr<const KeyVersion*> KeySnapshot::Newest(
    absl::string_view id) const {
  const Key* key = Find(id);
  if (key == nullptr || key->versions.empty()) {
    return absl::NotFoundError(
        absl::StrCat("key_id '", id, "': no such key in the keystore"));
  }
  return &key->versions.front();
}

absl::StatusOr<const KeyVersion*> KeySnapshot::Get(absl::string_view id,
                                                   uint32_t version) const {
  const Key* key = Find(id);
  if (key == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("key_id '", id, "': no such key in the keystore"));
  }
  for (const KeyVersion& v : key->versions) {
    if (v.version == version) return &v;
  }
  return absl::NotFoundError(absl::StrCat("key_id '", id, "': no version ",
                                          version, " in the keystore"));
}

size_t KeySnapshot::credential_count() const {
  size_t n = 0;
  for (const auto& entry : keys_) {
    if (!entry.second.versions.empty() &&
        entry.second.versions.front().is_credential()) {
      ++n;
    }
  }
  return n;
}

std::vector<std::string> KeySnapshot::ids() const {
  std::vector<std::string> out;
  out.reserve(keys_.size());
  for (const auto& entry : keys_) out.push_back(entry.first);
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<std::shared_ptr<const KeySnapshot>> GenerateDemoKeys(
    const std::vector<std::string>& ids, RandomSource& rng) {
  auto snapshot = std::make_shared<KeySnapshot>();
  for (const std::string& id : ids) {
    SecretBytes key(32);
    if (absl::Status s = rng.Fill(key.mutable_span()); !s.ok()) return s;
    if (absl::Status s = snapshot->Add(id, 1, key.span()); !s.ok()) return s;
  }
  return std::shared_ptr<const KeySnapshot>(std::move(snapshot));
}

absl::StatusOr<KeyFileName> ParseKeyFileName(absl::string_view name) {
  const size_t dot_v = name.rfind(".v");
  if (dot_v == absl::string_view::npos || dot_v == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("file '", absl::CHexEscape(name),
                     "': not a key file name (expected <key_id>.v<version>, "
                     "e.g. demo-psk.v1, or a credential's "
                     "<key_id>.v<version>.key.pem and .crt.pem)"));
  }
  const absl::string_view id = name.substr(0, dot_v);
  const absl::string_view digits = name.substr(dot_v + 2);
  uint32_t version = 0;
  const bool digits_ok =
      !digits.empty() && digits.size() <= 9 && digits[0] != '0' &&
      std::all_of(digits.begin(), digits.end(),
                  [](char c) { return absl::ascii_isdigit(c); }) &&
      absl::SimpleAtoi(digits, &version);
  if (!digits_ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "file '", absl::CHexEscape(name), "': version '",
        absl::CHexEscape(digits),
        "' is not a number from 1 to 999999999 without leading zeros"));
  }
  if (!IsValidKeyId(id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("file '", absl::CHexEscape(name), "': key id '",
                     absl::CHexEscape(id), "' (expected 1 to ", kMaxKeyIdLength,
                     " characters of [A-Za-z0-9._-], not starting with '.')"));
  }
  return KeyFileName{std::string(id), version};
}

absl::StatusOr<SecretBytes> ParseKeyFileContent(absl::string_view content,
                                                absl::string_view file) {
  size_t digits = 0;
  for (size_t i = 0; i < content.size(); ++i) {
    const char c = content[i];
    if (absl::ascii_isspace(c)) continue;
    if (HexValue(c) < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("key file ", file, ": offset ", i,
                       ": not a hexadecimal digit (key files hold the key as "
                       "hex text)"));
    }
    ++digits;
  }
  if (digits == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", file, ": empty"));
  }
  if (digits % 2 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key file ", file, ": odd number of hex digits (", digits, ")"));
  }
  const size_t length = digits / 2;
  if (length < kMinKeyLength || length > kMaxKeyLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", file, ": ", length, " octets (expected ",
                     kMinKeyLength, " to ", kMaxKeyLength, ")"));
  }
  SecretBytes out(length);
  size_t n = 0;
  int high = -1;
  for (char c : content) {
    if (absl::ascii_isspace(c)) continue;
    const int v = HexValue(c);
    if (high < 0) {
      high = v;
    } else {
      out[n++] = static_cast<uint8_t>(high << 4 | v);
      high = -1;
    }
  }
  return out;
}

absl::StatusOr<KeystoreFileName> ParseKeystoreFileName(absl::string_view name) {
  KeystoreFileName out;
  absl::string_view base = name;
  if (absl::EndsWith(name, kPrivateKeySuffix)) {
    out.kind = KeystoreFileName::Kind::kPrivateKey;
    base.remove_suffix(kPrivateKeySuffix.size());
  } else if (absl::EndsWith(name, kChainSuffix)) {
    out.kind = KeystoreFileName::Kind::kCertificateChain;
    base.remove_suffix(kChainSuffix.size());
  }
  absl::StatusOr<KeyFileName> parsed = ParseKeyFileName(base);
  if (!parsed.ok()) {
    if (out.kind == KeystoreFileName::Kind::kHexKey) return parsed.status();
    return absl::InvalidArgumentError(absl::StrCat(
        "file '", absl::CHexEscape(name),
        "': not a credential file name (expected <key_id>.v<version>",
        out.kind == KeystoreFileName::Kind::kPrivateKey ? kPrivateKeySuffix
                                                        : kChainSuffix,
        "): ", parsed.status().message()));
  }
  out.key_id = std::move(parsed->key_id);
  out.version = parsed->version;
  return out;
}

absl::StatusOr<std::shared_ptr<const Credential>> ParseCredentialFiles(
    absl::string_view key_content, absl::string_view key_file,
    absl::string_view chain_content, absl::string_view chain_file) {
  absl::StatusOr<RsaPrivateKey> key =
      trust::ParsePrivateKey(key_content, absl::StrCat("key file ", key_file));
  if (!key.ok()) return key.status();
  absl::StatusOr<std::vector<pki::Certificate>> chain =
      trust::ParseCertificates(chain_content,
                               absl::StrCat("key file ", chain_file));
  if (!chain.ok()) return chain.status();
  absl::StatusOr<RsaPublicKey> cert_key = chain->front().rsa_public_key();
  if (!cert_key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key file ", chain_file, ": first certificate (",
        chain->front().Describe(), "): ", cert_key.status().message()));
  }
  absl::StatusOr<RsaPublicKey> own = key->PublicKey();
  if (!own.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", key_file, ": ", own.status().message()));
  }
  if (!own->Equals(*cert_key)) {
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", key_file,
                     ": the private key does not belong to the first "
                     "certificate of ",
                     chain_file, " (", chain->front().Describe(),
                     "); the leaf certificate must come first"));
  }
  auto credential = std::make_shared<Credential>(
      Credential{*std::move(key), *std::move(chain)});
  return std::shared_ptr<const Credential>(std::move(credential));
}

absl::StatusOr<SecretBytes> LoadHexKeyFile(const std::string& path,
                                           absl::string_view name) {
  std::string content;
  absl::Status read = ReadKeyFile(path, name, kMaxKeyFileSize, &content);
  absl::StatusOr<SecretBytes> material =
      read.ok() ? ParseKeyFileContent(content, name)
                : absl::StatusOr<SecretBytes>(read);
  SecureWipe(content.data(), content.size());
  return material;
}

namespace {

// The two files of one credential version, as found in the directory.
struct CredentialFiles {
  std::string key_name;
  std::string chain_name;
};

absl::StatusOr<std::shared_ptr<const Credential>> LoadCredential(
    const std::string& root, const CredentialFiles& files) {
  std::string key_content;
  std::string chain_content;
  absl::Status read = ReadKeyFile(root + "/" + files.key_name, files.key_name,
                                  kMaxCredentialFileSize, &key_content);
  if (read.ok()) {
    read = ReadKeyFile(root + "/" + files.chain_name, files.chain_name,
                       kMaxCredentialFileSize, &chain_content);
  }
  absl::StatusOr<std::shared_ptr<const Credential>> credential =
      read.ok() ? ParseCredentialFiles(key_content, files.key_name,
                                       chain_content, files.chain_name)
                : absl::StatusOr<std::shared_ptr<const Credential>>(read);
  SecureWipe(key_content.data(), key_content.size());
  return credential;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const KeySnapshot>> LoadKeyDirectory(
    const std::string& dir) {
  absl::StatusOr<std::string> root = ContentRoot(dir);
  if (!root.ok()) return root.status();
  absl::StatusOr<std::vector<std::string>> names = ListVisible(*root);
  if (!names.ok()) return names.status();
  auto snapshot = std::make_shared<KeySnapshot>();
  // (key id, version) -> its credential files, completed as they are found.
  std::map<std::pair<std::string, uint32_t>, CredentialFiles> credentials;
  for (const std::string& name : *names) {
    const std::string path = *root + "/" + name;
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
      const int err = errno;
      return absl::FailedPreconditionError(
          absl::StrCat("key file ", name, ": ", ErrnoText(err)));
    }
    if (!S_ISREG(st.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "keystore directory ", dir, ": '", absl::CHexEscape(name),
          "' is not a regular file (the directory must hold "
          "only key files <key_id>.v<version>)"));
    }
    absl::StatusOr<KeystoreFileName> parsed = ParseKeystoreFileName(name);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "keystore directory ", dir, ": ", parsed.status().message()));
    }
    switch (parsed->kind) {
      case KeystoreFileName::Kind::kHexKey: {
        absl::StatusOr<SecretBytes> material = LoadHexKeyFile(path, name);
        if (!material.ok()) return material.status();
        absl::Status added =
            snapshot->Add(parsed->key_id, parsed->version, material->span());
        if (!added.ok()) return added;
        break;
      }
      case KeystoreFileName::Kind::kPrivateKey:
        credentials[{parsed->key_id, parsed->version}].key_name = name;
        break;
      case KeystoreFileName::Kind::kCertificateChain:
        credentials[{parsed->key_id, parsed->version}].chain_name = name;
        break;
    }
  }
  for (const auto& [id_version, files] : credentials) {
    const std::string base =
        absl::StrCat(id_version.first, ".v", id_version.second);
    if (files.key_name.empty() || files.chain_name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "keystore directory ", dir, ": ",
          files.key_name.empty() ? files.chain_name : files.key_name,
          " without ", base,
          files.key_name.empty() ? kPrivateKeySuffix : kChainSuffix,
          " (a credential needs its private key and its certificate chain)"));
    }
    absl::StatusOr<std::shared_ptr<const Credential>> credential =
        LoadCredential(*root, files);
    if (!credential.ok()) return credential.status();
    absl::Status added = snapshot->AddCredential(
        id_version.first, id_version.second, *std::move(credential));
    if (!added.ok()) return added;
  }
  return std::shared_ptr<const KeySnapshot>(std::move(snapshot));
}

// ---------------------------------------------------------------------------
// DirectoryKeyStore.

absl::StatusOr<std::unique_ptr<DirectoryKeyStore>> DirectoryKeyStore::Open(
    std::string dir, Options options) {
  // Fingerprint first: a change during the load is then seen by the next
  // check.
  absl::StatusOr<std::string> fp = Fingerprint(dir);
  if (!fp.ok()) return fp.status();
  absl::StatusOr<std::shared_ptr<const KeySnapshot>> snapshot =
      LoadKeyDirectory(dir);
  if (!snapshot.ok()) return snapshot.status();
  std::unique_ptr<DirectoryKeyStore> store(new DirectoryKeyStore(
      std::move(dir), std::move(options), *std::move(snapshot), *fp));
  if (store->options_.reload_interval > absl::ZeroDuration()) {
    store->poller_ = std::thread([s = store.get()] { s->PollLoop(); });
  }
  return store;
}

DirectoryKeyStore::DirectoryKeyStore(
    std::string dir, Options options,
    std::shared_ptr<const KeySnapshot> snapshot, std::string fingerprint)
    : dir_(std::move(dir)), options_(std::move(options)) {
  // Lock order: check_mu_, then mu_ (as in CheckNow).
  absl::MutexLock check_lock(&check_mu_);
  fingerprint_ = std::move(fingerprint);
  absl::MutexLock lock(&mu_);
  stats_.last_load = absl::Now();
  stats_.key_count = snapshot->key_count();
  snapshot_ = std::move(snapshot);
}

DirectoryKeyStore::~DirectoryKeyStore() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (poller_.joinable()) poller_.join();
}

std::shared_ptr<const KeySnapshot> DirectoryKeyStore::Current() const {
  absl::MutexLock lock(&mu_);
  return snapshot_;
}

KeystoreStats DirectoryKeyStore::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

absl::Status DirectoryKeyStore::CheckNow() {
  absl::MutexLock check_lock(&check_mu_);
  absl::StatusOr<std::string> fp = Fingerprint(dir_);
  absl::Status status;
  std::shared_ptr<const KeySnapshot> loaded;
  if (!fp.ok()) {
    // The directory itself is gone or unreadable: keep the keys, and report
    // it only once per distinct error.
    status = fp.status();
    const std::string marker = absl::StrCat("error: ", status.ToString());
    if (marker == fingerprint_) return status;
    fingerprint_ = marker;
  } else {
    if (*fp == fingerprint_) return fingerprint_status_;
    absl::StatusOr<std::shared_ptr<const KeySnapshot>> snapshot =
        LoadKeyDirectory(dir_);
    // Reloaded or not, this state of the directory has been tried: a bad
    // file is reported once, not at every poll, and tried again when the
    // directory changes. If it changed during the load, the next check sees
    // a new fingerprint and loads again.
    fingerprint_ = *fp;
    fingerprint_status_ = snapshot.status();
    if (snapshot.ok()) {
      loaded = *std::move(snapshot);
    } else {
      status = snapshot.status();
    }
  }
  ReloadEvent event;
  event.dir = dir_;
  event.status = status;
  {
    absl::MutexLock lock(&mu_);
    if (loaded != nullptr) {
      snapshot_ = loaded;
      ++stats_.reloads;
      stats_.last_load = absl::Now();
      stats_.key_count = loaded->key_count();
    } else {
      ++stats_.reload_failures;
      stats_.last_failure = status;
    }
    event.key_count = snapshot_->key_count();
  }
  if (options_.on_reload) options_.on_reload(event);
  return status;
}

void DirectoryKeyStore::PollLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stop_), options_.reload_interval);
      if (stop_) return;
    }
    CheckNow().IgnoreError();
  }
}

}  // namespace keystore
}  // namespace service
}  // namespace mikey
