// Versioned keys for mikeyd, by key id: pre-shared keys for the exchanges,
// the key that seals state tokens, and RSA credentials (private key and
// certificate chain) for the public-key modes.
//
// A KeySnapshot is an immutable set of keys. A KeyStore hands out the current
// snapshot as a shared_ptr, so a call keeps using the snapshot it started
// with while a reload swaps in a new one. New exchanges use a key's newest
// version; verification may try every version a snapshot holds (the
// "accepted" versions: retire one by removing it).
//
// On disk (DirectoryKeyStore) the layout is one file per key version,
// directly in one directory, named
//
//     <key_id>.v<version>          e.g. demo-psk.v1, demo-psk.v2, state-key.v3
//
// key_id: 1 to 200 characters of [A-Za-z0-9._-], not starting with '.';
// version: a decimal number from 1 to 999999999 without leading zeros. (The
// name is split at its last ".v".) These are valid Kubernetes Secret keys, so
// a Secret mounted as a volume, with or without `items`, gives exactly this
// layout:
//
//     kubectl create secret generic mikey-keys
//         --from-literal=demo-psk.v1=$(openssl rand -hex 32)
//         --from-literal=state-key.v1=$(openssl rand -hex 32)
//
// Each file holds the key as hexadecimal text (upper or lower case; ASCII
// whitespace anywhere, such as a trailing newline, is ignored), 16 to 1024
// octets once decoded.
//
// A key id may instead name an RSA credential (the public-key modes: DH,
// PUBLIC_KEY, RSA_R): per version, two files
//
//     <key_id>.v<version>.key.pem   the private key: PEM "PRIVATE KEY"
//                                   (PKCS#8) or "RSA PRIVATE KEY" (PKCS#1),
//                                   unencrypted, or the same as DER
//     <key_id>.v<version>.crt.pem   its certificate, then the intermediate
//                                   CA certificates (PEM), leaf first
//
// e.g. cam-1.v1.key.pem and cam-1.v1.crt.pem. These are the tls.key /
// tls.crt pair of a kubernetes.io/tls Secret (cert-manager's output) under
// other names: project them with `items` (key: tls.key, path:
// cam-1.v1.key.pem). The key must belong to the first certificate; each file
// may hold up to kMaxCredentialFileSize octets (the 1024-octet cap is for
// hex keys). One file of a pair without the other fails the load, and so
// does a key id with both hex and credential versions: a key id is either a
// symmetric key or a credential. Entries whose names start with '.' are
// skipped: that covers the "..data" symlink and "..<timestamp>" directory
// Kubernetes uses to swap a Secret volume atomically; when "..data" exists, the
// files are read through it, so one load never mixes two versions of the
// Secret. Any other entry that is not a well-formed key file (a subdirectory,
// another name, bad hex) fails the whole load: the directory is meant to hold
// keys only, and a typo should be loud rather than a missing key.
//
// The directory is polled (every reload_interval): when the "..data" target
// or any file's name, size, inode or mtime changes, it is loaded again; a
// load that fails keeps the previous snapshot, and is reported through the
// on_reload callback (and counted in stats()).

#ifndef MIKEY_SERVICE_KEYSTORE_KEYSTORE_H_
#define MIKEY_SERVICE_KEYSTORE_KEYSTORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/random.h"
#include "core/crypto/rsa.h"
#include "core/pki/certificate.h"

namespace mikey {
namespace service {
namespace keystore {

inline constexpr size_t kMinKeyLength = 16;
inline constexpr size_t kMaxKeyLength = 1024;
inline constexpr size_t kMaxKeyIdLength = 200;
inline constexpr uint32_t kMaxVersion = 999999999;
// Largest credential file (.key.pem, .crt.pem) read.
inline constexpr size_t kMaxCredentialFileSize = 256 * 1024;

// An RSA private key and its certificate chain (leaf first; the key belongs
// to the leaf).
struct Credential {
  RsaPrivateKey key;
  std::vector<pki::Certificate> chain;
};

struct KeyVersion {
  uint32_t version = 0;
  // A symmetric key (hex key files); empty for a credential.
  SecretBytes material;
  // An RSA credential (.key.pem / .crt.pem files); null for a symmetric key.
  std::shared_ptr<const Credential> credential;

  bool is_credential() const { return credential != nullptr; }
};

// All versions of one key, newest (highest number) first.
struct Key {
  std::string id;
  std::vector<KeyVersion> versions;
};

// Whether `id` is a well-formed key id (see above).
bool IsValidKeyId(absl::string_view id);

// An immutable set of keys (once built and shared).
class KeySnapshot {
 public:
  KeySnapshot() = default;
  KeySnapshot(const KeySnapshot&) = delete;
  KeySnapshot& operator=(const KeySnapshot&) = delete;

  // Building. INVALID_ARGUMENT for a bad id, version or length, or a
  // version the key already has.
  absl::Status Add(absl::string_view id, uint32_t version,
                   absl::Span<const uint8_t> material);
  // Same for a credential (not null). A key's versions are all symmetric
  // keys or all credentials: INVALID_ARGUMENT when they would mix.
  absl::Status AddCredential(absl::string_view id, uint32_t version,
                             std::shared_ptr<const Credential> credential);

  // The key, or nullptr.
  const Key* Find(absl::string_view id) const;
  // Its newest version. NOT_FOUND naming the id if there is no such key.
  absl::StatusOr<const KeyVersion*> Newest(absl::string_view id) const;
  // One version. NOT_FOUND naming the id and version otherwise.
  absl::StatusOr<const KeyVersion*> Get(absl::string_view id,
                                        uint32_t version) const;

  size_t key_count() const { return keys_.size(); }
  // Key ids, sorted (for logs: never key material).
  std::vector<std::string> ids() const;
  // How many of them name credentials.
  size_t credential_count() const;

 private:
  absl::Status AddVersion(absl::string_view id, KeyVersion v);

  absl::flat_hash_map<std::string, Key> keys_;
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;
  // The current snapshot; never null.
  virtual std::shared_ptr<const KeySnapshot> Current() const = 0;
};

// A keystore that never changes (the generated demo keys, tests).
class StaticKeyStore final : public KeyStore {
 public:
  explicit StaticKeyStore(std::shared_ptr<const KeySnapshot> snapshot)
      : snapshot_(std::move(snapshot)) {}
  std::shared_ptr<const KeySnapshot> Current() const override {
    return snapshot_;
  }

 private:
  const std::shared_ptr<const KeySnapshot> snapshot_;
};

// The demo keystore of the embedded default configuration: for each id, one
// version (1) of 32 fresh random octets. Lives in memory only.
absl::StatusOr<std::shared_ptr<const KeySnapshot>> GenerateDemoKeys(
    const std::vector<std::string>& ids, RandomSource& rng);

// The file name layout: "<key_id>.v<version>".
struct KeyFileName {
  std::string key_id;
  uint32_t version = 0;
};
absl::StatusOr<KeyFileName> ParseKeyFileName(absl::string_view name);

// A key file's content (hex text) as key material. INVALID_ARGUMENT naming
// `file` and what is wrong (never the content).
absl::StatusOr<SecretBytes> ParseKeyFileContent(absl::string_view content,
                                                absl::string_view file);

// Reads the hex key file at `path` and parses it as ParseKeyFileContent does
// (`name` in errors); the text read is wiped.
absl::StatusOr<SecretBytes> LoadHexKeyFile(const std::string& path,
                                           absl::string_view name);

// Any file name of the layout: a hex key file, or one half of a credential.
struct KeystoreFileName {
  enum class Kind { kHexKey, kPrivateKey, kCertificateChain };
  std::string key_id;
  uint32_t version = 0;
  Kind kind = Kind::kHexKey;
};
absl::StatusOr<KeystoreFileName> ParseKeystoreFileName(absl::string_view name);

// A credential from the contents of its two files (named in messages): the
// key (PEM or DER, see above) and the chain (PEM), checked to belong
// together. INVALID_ARGUMENT naming the file and what is wrong (never the
// content).
absl::StatusOr<std::shared_ptr<const Credential>> ParseCredentialFiles(
    absl::string_view key_content, absl::string_view key_file,
    absl::string_view chain_content, absl::string_view chain_file);

// Loads every key file of `dir` (see the layout above).
absl::StatusOr<std::shared_ptr<const KeySnapshot>> LoadKeyDirectory(
    const std::string& dir);

// What a reload attempt did.
struct ReloadEvent {
  std::string dir;
  // OK, or why the directory could not be loaded (the previous snapshot is
  // kept).
  absl::Status status;
  // Keys in the snapshot now in force.
  size_t key_count = 0;
};

struct KeystoreStats {
  uint64_t reloads = 0;          // successful reloads after the first load
  uint64_t reload_failures = 0;  // failed ones
  absl::Status last_failure;     // OK if none yet
  absl::Time last_load;          // when the snapshot in force was loaded
  size_t key_count = 0;
};

// A keystore read from a directory and reloaded when it changes.
class DirectoryKeyStore final : public KeyStore {
 public:
  struct Options {
    // How often to look for changes; zero or less: never (CheckNow only).
    absl::Duration reload_interval = absl::Seconds(30);
    // Called after every reload attempt (not the first load), from the
    // polling thread. Must not block for long.
    std::function<void(const ReloadEvent&)> on_reload;
  };

  // Loads `dir` (failing if that fails) and starts polling it.
  static absl::StatusOr<std::unique_ptr<DirectoryKeyStore>> Open(
      std::string dir, Options options);

  // Stops the polling thread.
  ~DirectoryKeyStore() override;
  DirectoryKeyStore(const DirectoryKeyStore&) = delete;
  DirectoryKeyStore& operator=(const DirectoryKeyStore&) = delete;

  std::shared_ptr<const KeySnapshot> Current() const override;

  // Looks for changes now and reloads if there are any. Returns the outcome
  // of loading the directory as it is now: OK, or why it cannot be loaded
  // (then the previous snapshot stays in force). The on_reload callback runs
  // only when the directory changed since the last attempt.
  absl::Status CheckNow();

  KeystoreStats stats() const;
  const std::string& dir() const { return dir_; }

 private:
  DirectoryKeyStore(std::string dir, Options options,
                    std::shared_ptr<const KeySnapshot> snapshot,
                    std::string fingerprint);
  void PollLoop();

  const std::string dir_;
  const Options options_;

  mutable absl::Mutex mu_;
  std::shared_ptr<const KeySnapshot> snapshot_ ABSL_GUARDED_BY(mu_);
  KeystoreStats stats_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;

  // Only CheckNow touches these (serialized by check_mu_).
  absl::Mutex check_mu_;
  std::string fingerprint_ ABSL_GUARDED_BY(check_mu_);
  // The outcome of loading the directory in the state `fingerprint_`.
  absl::Status fingerprint_status_ ABSL_GUARDED_BY(check_mu_);

  std::thread poller_;
};

}  // namespace keystore
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_KEYSTORE_KEYSTORE_H_
