"""Shared pieces of the end-to-end tests: starting mikeyd, certificates made
at test time, Prometheus text, searching logs for key material.

Nothing here is a private key on disk in the repository: every key and
certificate is generated when a test runs, under its temporary directory.
"""

import base64
import datetime
import http.client
import ipaddress
import os
import select
import subprocess
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def expect_eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def tmpdir(name):
    base = os.environ.get("TEST_TMPDIR") or "/tmp"
    path = os.path.join(base, name)
    os.makedirs(path, exist_ok=True)
    return path


# --- mikeyd ---

class Mikeyd:
    """A running mikeyd: its process, gRPC port, metrics port and health
    port (if any)."""

    def __init__(self, binary, args, stderr_path, expect_metrics=False,
                 expect_health=False):
        self.stderr_path = stderr_path
        self._stderr = open(stderr_path, "wb")
        self.proc = subprocess.Popen([binary] + args, stdout=subprocess.PIPE,
                                     stderr=self._stderr)
        self.stdout_lines = []
        line = self._read_line(20)
        prefix = "mikeyd listening on "
        if not line.startswith(prefix):
            self.kill()
            raise AssertionError("unexpected first line %r; stderr: %s" %
                                 (line, self.stderr()))
        self.port = int(line.rsplit(":", 1)[1])
        self.metrics_port = None
        if expect_metrics:
            line = self._read_line(20)
            prefix = "mikeyd metrics on "
            if not line.startswith(prefix):
                self.kill()
                raise AssertionError("unexpected second line %r" % line)
            self.metrics_port = int(line.rsplit(":", 1)[1])
        self.health_port = None
        if expect_health:
            line = self._read_line(20)
            if not line.startswith("mikeyd health on "):
                self.kill()
                raise AssertionError("unexpected health line %r" % line)
            self.health_port = int(line.rsplit(":", 1)[1])

    def _read_line(self, timeout):
        deadline = time.time() + timeout
        line = b""
        while not line.endswith(b"\n"):
            remaining = deadline - time.time()
            if remaining <= 0 or self.proc.poll() is not None:
                self.kill()
                raise AssertionError("mikeyd did not start: %r; stderr: %s" %
                                     (line, self.stderr()))
            ready, _, _ = select.select([self.proc.stdout], [], [], remaining)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 1)
                if chunk:
                    line += chunk
        text = line.decode().strip()
        self.stdout_lines.append(text)
        return text

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def pid(self):
        return self.proc.pid

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def terminate(self, timeout=30):
        """SIGTERM; returns the exit status."""
        self.proc.terminate()
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("mikeyd did not stop on SIGTERM")
        self._finish()
        return code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._finish()

    def _finish(self):
        try:
            rest = self.proc.stdout.read()
            if rest:
                self.stdout_lines.extend(rest.decode().splitlines())
        except (OSError, ValueError):
            pass
        self._stderr.close()


def run(args, timeout=30):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


# --- HTTP (metrics endpoint) ---

def http_get(port, path, method="GET"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path)
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type"), r.read().decode()
    finally:
        conn.close()


def parse_prometheus(text):
    """{(name, frozenset(labels.items())): value} of a text exposition."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, value = line.rsplit(" ", 1)
        labels = {}
        if "{" in series:
            name, rest = series.split("{", 1)
            rest = rest[:-1]  # the closing brace
            # Label values here hold no commas or escaped quotes.
            for pair in rest.split(","):
                key, val = pair.split("=", 1)
                labels[key] = val.strip('"')
        else:
            name = series
        samples[(name, frozenset(labels.items()))] = float(value)
    return samples


def sample(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


# --- certificates ---

def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class Ca:
    def __init__(self, cn):
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.utcnow()
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                           critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False), critical=True)
            .sign(self.key, hashes.SHA256()))
        self.pem = self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, cn, dns=(), ips=(), uris=(), server=False):
        """(certificate PEM, key PEM) of a leaf signed by this CA."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.utcnow()
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cn) if cn else x509.Name([]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                           critical=True)
            .add_extension(x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH if server
                 else ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False))
        names = ([x509.DNSName(d) for d in dns] +
                 [x509.IPAddress(ipaddress.ip_address(i)) for i in ips] +
                 [x509.UniformResourceIdentifier(u) for u in uris])
        if names:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        return cert.public_bytes(serialization.Encoding.PEM), _pem_key(key)


def write(path, data, mode=0o600):
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(path, mode)
    return path


# --- key material in logs ---

def encodings(secret):
    """The ways a secret could show up in text: hex (both cases), base64
    (standard and URL-safe, with and without padding)."""
    forms = {secret.hex(), secret.hex().upper()}
    for b64 in (base64.b64encode(secret), base64.urlsafe_b64encode(secret)):
        forms.add(b64.decode())
        forms.add(b64.decode().rstrip("="))
    return forms


def find_secrets(text, secrets):
    """Names of the secrets whose encodings (of the whole secret or of its
    first or last 8 octets) appear in `text`."""
    found = []
    for name, secret in secrets.items():
        pieces = [secret]
        if len(secret) >= 16:
            pieces += [secret[:8], secret[-8:]]
        for piece in pieces:
            if any(form in text for form in encodings(piece)):
                found.append(name)
                break
    return found
