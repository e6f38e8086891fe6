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
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mikey {
namespace service {
namespace keystore {
namespace {

// Key files are tiny: 1024 octets of key are 2048 hex digits.
constexpr size_t kMaxKeyFileSize = 64 * 1024;

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
                         std::string* out) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return absl::FailedPreconditionError(
        absl::StrCat("key file ", name, ": ", ErrnoText(err)));
  }
  out->assign(kMaxKeyFileSize + 1, '\0');
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
  if (got > kMaxKeyFileSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key file ", name, ": larger than ", kMaxKeyFileSize, " octets"));
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

absl::Status KeySnapshot::Add(absl::string_view id, uint32_t version,
                              absl::Span<const uint8_t> material) {
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
  if (material.size() < kMinKeyLength || material.size() > kMaxKeyLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key ", id, " version ", version, ": ", material.size(),
        " octets (expected ", kMinKeyLength, " to ", kMaxKeyLength, ")"));
  }
  Key& key = keys_[id];
  key.id = std::string(id);
  auto pos = std::find_if(
      key.versions.begin(), key.versions.end(),
      [version](const KeyVersion& v) { return v.version <= version; });
  if (pos != key.versions.end() && pos->version == version) {
    return absl::InvalidArgumentError(
        absl::StrCat("key ", id, ": version ", version, " given twice"));
  }
  KeyVersion v;
  v.version = version;
  v.material = SecretBytes(material);
  key.versions.insert(pos, std::move(v));
  return absl::OkStatus();
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
                     "e.g. demo-psk.v1)"));
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

absl::StatusOr<std::shared_ptr<const KeySnapshot>> LoadKeyDirectory(
    const std::string& dir) {
  absl::StatusOr<std::string> root = ContentRoot(dir);
  if (!root.ok()) return root.status();
  absl::StatusOr<std::vector<std::string>> names = ListVisible(*root);
  if (!names.ok()) return names.status();
  auto snapshot = std::make_shared<KeySnapshot>();
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
    absl::StatusOr<KeyFileName> parsed = ParseKeyFileName(name);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "keystore directory ", dir, ": ", parsed.status().message()));
    }
    std::string content;
    absl::Status read = ReadKeyFile(path, name, &content);
    absl::StatusOr<SecretBytes> material =
        read.ok() ? ParseKeyFileContent(content, name)
                  : absl::StatusOr<SecretBytes>(read);
    SecureWipe(content.data(), content.size());
    if (!material.ok()) return material.status();
    absl::Status added =
        snapshot->Add(parsed->key_id, parsed->version, material->span());
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
