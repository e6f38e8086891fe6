"""End-to-end test of the public-key modes and of the shared replay cache.

Generates at test time (python3-cryptography) a CA, RSA credentials issued by
it, self-signed RSA credentials, one that is not pinned and one that has
expired, and writes them into one keystore directory in the layout mikeyd
reads (<key_id>.v<N>.key.pem + <key_id>.v<N>.crt.pem; PKCS#8 PEM, PKCS#1 PEM
and DER keys), next to hex keys. One configuration file gives the trust:
SPKI pins globally, the CA for the "ca-*" key ids (trust.per_key).

Then, with mikeyd processes sharing that keystore and configuration:

- DH (pinned self-signed certificates, and with the CA), PUBLIC_KEY (with
  the V flag) and RSA_R: Initiate on A, Respond on B, Complete on A or B (the
  state token travels), the keys equal on both sides and accepted by
  libsrtp 2 (srtp_roundtrip);
- an unpinned and an expired certificate: FAILED_PRECONDITION, with the
  MIKEY Error message (Invalid Cert) in the status details;
- NOT_FOUND / INVALID_ARGUMENT for unknown keys, keys of the wrong kind and
  malformed peer certificates;
- replays: with the default in-memory caches a message replayed to ANOTHER
  replica is accepted again (only the replica that saw it refuses it); with
  replay.backend "redis" and one real redis-server (started here on a free
  loopback port) a replay through a different replica is refused;
- bad trust and replay settings stop mikeyd at start (exit 2, naming the
  field), and no private key shows up in any log.

redis-server is Debian's (tools/setup installs it), found on PATH or at
$MIKEY_REDIS_SERVER.

Ends with "N passed, N failed"; the exit status is 0 only if nothing failed.
"""

import argparse
import base64
import datetime
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("--mikeyd", required=True)
parser.add_argument("--srtp_roundtrip", required=True)
parser.add_argument("--pythonpath", required=True)
parser.add_argument("--casetest", required=True)
FLAGS = parser.parse_args()
sys.path.insert(0, FLAGS.pythonpath)
sys.path.insert(0, os.path.dirname(FLAGS.casetest))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import grpc  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
from mikey.broker.v1 import broker_pb2  # noqa: E402
from mikey.broker.v1 import broker_pb2_grpc  # noqa: E402
import casetest  # noqa: E402
import e2e_util  # noqa: E402

CASES = casetest.Cases("pubkey_e2e")
check = CASES.check
expect_eq = e2e_util.expect_eq

TMP = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
PSK = bytes(range(0x10, 0x30))
STATE_KEY = bytes(range(0xA0, 0xC0))
SUITE80 = "AES_CM_128_HMAC_SHA1_80"
GCM128 = "AEAD_AES_128_GCM"
INVALID_CERT = 8  # RFC 3830 §6.12
INVALID_TS = 1


# --- certificates and keys, made now ---

def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key_usage(ca):
    return x509.KeyUsage(
        digital_signature=True, key_encipherment=not ca,
        key_cert_sign=ca, crl_sign=ca, content_commitment=False,
        data_encipherment=False, key_agreement=False, encipher_only=False,
        decipher_only=False)


class Credential:
    """An RSA key and its certificate (self-signed, or issued by `ca`)."""

    def __init__(self, name, ca=None, is_ca=False, not_before=None,
                 not_after=None):
        self.name = name
        self.uri = "sip:%s@example.org" % name
        self.key = rsa.generate_private_key(public_exponent=65537,
                                            key_size=2048)
        now = datetime.datetime.utcnow()
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(ca.cert.subject if ca else _name(name))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - datetime.timedelta(hours=1))
            .not_valid_after(not_after or now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None),
                           critical=True)
            .add_extension(_key_usage(is_ca), critical=True))
        if not is_ca:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(self.uri)]), critical=False)
        self.cert = builder.sign(ca.key if ca else self.key, hashes.SHA256())
        self.ca = ca

    def cert_pem(self):
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def cert_der(self):
        return self.cert.public_bytes(serialization.Encoding.DER)

    def chain_pem(self):
        pem = self.cert_pem()
        return pem + self.ca.cert_pem() if self.ca else pem

    def key_pkcs8_pem(self):
        return self.key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())

    def key_pkcs1_pem(self):
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption())

    def key_der(self):
        return self.key.private_bytes(serialization.Encoding.DER,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())

    def spki_sha256(self):
        spki = self.key.public_key().public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo)
        return hashlib.sha256(spki).digest()

    def pin_b64(self):
        return "sha256/" + base64.b64encode(self.spki_sha256()).decode()

    def pin_hex(self):
        return self.spki_sha256().hex()

    def private_fragments(self):
        """Pieces of the private key as they would show in a log."""
        der = self.key_der()
        b64 = base64.b64encode(der).decode()
        return [b64[100:140], der[100:120].hex()]


# --- redis-server ---

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def redis_command(port, *args):
    """One RESP command; returns the reply line (simple replies only)."""
    payload = "*%d\r\n" % len(args)
    for a in args:
        payload += "$%d\r\n%s\r\n" % (len(a.encode()), a)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload.encode())
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
    return reply.decode().strip()


class RedisServer:
    def __init__(self):
        binary = (os.environ.get("MIKEY_REDIS_SERVER") or
                  shutil.which("redis-server") or "/usr/bin/redis-server")
        assert os.path.exists(binary), (
            "redis-server not found (tools/setup installs it; or set "
            "MIKEY_REDIS_SERVER)")
        self.dir = os.path.join(TMP, "redis")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.log = open(os.path.join(self.dir, "stdout"), "wb")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.dir,
             "--daemonize", "no"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while True:
            try:
                if redis_command(self.port, "PING") == "+PONG":
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise AssertionError("redis-server did not start")
            time.sleep(0.05)

    def address(self):
        return "127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()


# --- mikeyd ---

class Server:
    def __init__(self, name, config):
        self.name = name
        self.mikeyd = e2e_util.Mikeyd(
            FLAGS.mikeyd, ["--config=" + config, "--listen=127.0.0.1:0"],
            os.path.join(TMP, name + ".stderr"))
        self.target = "127.0.0.1:%d" % self.mikeyd.port
        self.channel = grpc.insecure_channel(self.target)
        grpc.channel_ready_future(self.channel).result(timeout=20)
        self.stub = broker_pb2_grpc.KeyBrokerStub(self.channel)

    def stderr(self):
        return self.mikeyd.stderr()

    def stop(self):
        self.channel.close()
        expect_eq(self.mikeyd.terminate(), 0, "exit status of " + self.name)


def write_config(path, keystore, trust, replay=None):
    config = {
        "plaintext_loopback_ok": True,
        "keystore": {"dir": keystore, "reload_interval": "0s"},
        "state": {"key_id": "state-key", "ttl": "120s"},
        "trust": trust,
    }
    if replay is not None:
        config["replay"] = replay
    with open(path, "w") as f:
        json.dump(config, f, indent=1)
    return path


# --- helpers ---

def key_ref(key_id):
    return broker_pb2.KeyReference(key_id=key_id)


def streams():
    return [broker_pb2.StreamSpec(ssrc=0x1234ABCD, roc=2),
            broker_pb2.StreamSpec(ssrc=0x0BADCAFE, suite=GCM128)]


def stream_tuple(s):
    return (s.ssrc, s.roc, s.suite, s.master_key, s.master_salt, s.mki,
            s.cs_id, s.csb_id)


def expect_same_keys(a, b, what):
    expect_eq([stream_tuple(s) for s in a], [stream_tuple(s) for s in b],
              what)
    assert len(a) == 2, what
    assert all(len(s.master_key) >= 16 for s in a), what


def srtp_roundtrip(tx, rx):
    p = subprocess.run([
        FLAGS.srtp_roundtrip, "--suite=" + tx.suite,
        "--tx_key=" + tx.master_key.hex(), "--tx_salt=" + tx.master_salt.hex(),
        "--rx_key=" + rx.master_key.hex(), "--rx_salt=" + rx.master_salt.hex(),
        "--ssrc=%d" % tx.ssrc, "--roc=%d" % tx.roc],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert p.returncode in (0, 1), (p.returncode, p.stderr)
    return p.returncode


def expect_libsrtp_accepts(initiator_streams, responder_streams):
    for tx, rx in zip(initiator_streams, responder_streams):
        expect_eq(srtp_roundtrip(tx, rx), 0,
                  "libsrtp with the two sides' keys (%s)" % tx.suite)
        expect_eq(srtp_roundtrip(rx, tx), 0,
                  "libsrtp, the other direction (%s)" % tx.suite)


def expect_rpc_error(fn, code, substring=""):
    try:
        fn()
    except grpc.RpcError as e:
        expect_eq(e.code(), code, "status code (%s)" % e.details())
        assert substring in e.details(), (substring, e.details())
        return e
    raise AssertionError("call succeeded; expected %s" % code)


def respond_error(e):
    """The RespondError in a failed Respond's status details."""
    md = dict(e.trailing_metadata() or ())
    assert "grpc-status-details-bin" in md, md.keys()
    status = broker_pb2.RpcStatus.FromString(md["grpc-status-details-bin"])
    expect_eq(len(status.details), 1, "details")
    error = broker_pb2.RespondError()
    assert status.details[0].Unpack(error), status.details[0].type_url
    return error


def expect_mikey_error(server, e, error_no, csb_id):
    """The Error message is a MIKEY Error message (data type 6) of the
    exchange, with ERR `error_no`, as Decode reads it."""
    error = respond_error(e)
    expect_eq(error.error_no, error_no, "ERR error number")
    expect_eq(error.key_mgmt,
              "mikey " + base64.b64encode(error.error_message).decode(),
              "key_mgmt")
    decoded = server.stub.Decode(broker_pb2.DecodeRequest(
        input=broker_pb2.MikeyInput(message=error.error_message)), timeout=10)
    expect_eq(decoded.message.header.data_type, broker_pb2.DATA_TYPE_ERROR,
              "Error message data type")
    expect_eq(decoded.message.header.csb_id, csb_id, "Error message CSB ID")
    errs = [p.error.error_no for p in decoded.message.payloads
            if p.HasField("error")]
    expect_eq(errs, [error_no], "ERR payloads")


def run_mikeyd_expecting_failure(config):
    p = subprocess.run([FLAGS.mikeyd, "--config=" + config,
                        "--listen=127.0.0.1:0"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    return p.returncode, p.stderr.decode()


def main():
    # The PKI.
    ca = Credential("Test Media CA", is_ca=True)
    now = datetime.datetime.utcnow()
    creds = {
        "pin-a": Credential("pin-a"),
        "pin-b": Credential("pin-b"),
        "ca-a": Credential("ca-a", ca=ca),
        "ca-b": Credential("ca-b", ca=ca),
        "rogue": Credential("rogue"),
        "expired": Credential(
            "expired", ca=ca,
            not_before=now - datetime.timedelta(days=30),
            not_after=now - datetime.timedelta(days=1)),
    }
    keystore = os.path.join(TMP, "keys")
    os.mkdir(keystore)
    e2e_util.write(os.path.join(keystore, "psk.v1"), PSK.hex() + "\n")
    e2e_util.write(os.path.join(keystore, "state-key.v1"),
                   STATE_KEY.hex() + "\n")
    for key_id, c in creds.items():
        # Every form of private key file mikeyd reads.
        key = {"pin-a": c.key_pkcs1_pem(), "ca-b": c.key_der()}.get(
            key_id, c.key_pkcs8_pem())
        e2e_util.write(os.path.join(keystore, key_id + ".v1.key.pem"), key)
        e2e_util.write(os.path.join(keystore, key_id + ".v1.crt.pem"),
                       c.chain_pem(), 0o644)
    ca_file = e2e_util.write(os.path.join(TMP, "media-ca.pem"),
                             ca.cert_pem(), 0o644)
    trust = {
        # Pins in both accepted forms; "rogue" is pinned by nobody.
        "pins": [creds["pin-a"].pin_b64(), creds["pin-b"].pin_hex()],
        "per_key": {
            "ca-a": {"ca_files": [ca_file]},
            "ca-b": {"ca_files": [ca_file]},
        },
    }
    memory_config = write_config(os.path.join(TMP, "memory.json"), keystore,
                                 trust)

    redis = None
    servers = []
    try:
        redis = RedisServer()
        redis_config = write_config(
            os.path.join(TMP, "redis.json"), keystore, trust,
            {"backend": "redis", "redis_address": redis.address(),
             "redis_command_timeout": "2s", "redis_key_prefix": "e2e:"})
        a = Server("A", memory_config)
        servers.append(a)
        b = Server("B", memory_config)
        servers.append(b)
        r1 = Server("R1", redis_config)
        servers.append(r1)
        r2 = Server("R2", redis_config)
        servers.append(r2)

        def dh(initiator, responder, complete_on, key_i, key_r):
            init = initiator.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_DH, suite=SUITE80, streams=streams(),
                initiator_id=creds[key_i].uri, key=key_ref(key_i)),
                timeout=10)
            expect_eq(init.mode, broker_pb2.MODE_DH, "mode")
            expect_eq(len(init.streams), 0, "no keys before Complete")
            assert init.state, "state"
            resp = responder.stub.Respond(broker_pb2.RespondRequest(
                input=broker_pb2.MikeyInput(text=init.key_mgmt),
                responder_id=creds[key_r].uri, key=key_ref(key_r)),
                timeout=10)
            expect_eq(resp.mode, broker_pb2.MODE_DH, "mode")
            expect_eq((resp.key.key_id, resp.key.version), (key_r, 1), "key")
            done = complete_on.stub.Complete(broker_pb2.CompleteRequest(
                state=init.state,
                input=broker_pb2.MikeyInput(message=resp.r_message)),
                timeout=10)
            expect_eq(done.mode, broker_pb2.MODE_DH, "mode")
            expect_eq((done.key.key_id, done.key.version), (key_i, 1), "key")
            expect_same_keys(done.streams, resp.streams, "DH keys")
            expect_libsrtp_accepts(done.streams, resp.streams)
            decoded = a.stub.Decode(broker_pb2.DecodeRequest(
                input=broker_pb2.MikeyInput(message=resp.r_message)),
                timeout=10)
            expect_eq(decoded.message.header.data_type,
                      broker_pb2.DATA_TYPE_DH_RESP, "R_MESSAGE")
            return init

        def dh_pinned():
            # Complete on the Responder's replica: the token travels.
            dh(a, b, b, "pin-a", "pin-b")

        def dh_with_ca():
            dh(a, b, a, "ca-a", "ca-b")

        def public_key_with_v():
            init = a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PUBLIC_KEY, suite=SUITE80,
                streams=streams(), v_flag=True, key=key_ref("ca-a"),
                peer_certificate=creds["ca-b"].chain_pem()), timeout=10)
            expect_eq(len(init.streams), 2, "the Initiator's keys at once")
            assert init.state, "state (V flag)"
            resp = b.stub.Respond(broker_pb2.RespondRequest(
                input=broker_pb2.MikeyInput(message=init.i_message),
                key=key_ref("ca-b")), timeout=10)
            expect_eq(resp.mode, broker_pb2.MODE_PUBLIC_KEY, "mode")
            expect_same_keys(init.streams, resp.streams, "PUBLIC_KEY keys")
            expect_libsrtp_accepts(init.streams, resp.streams)
            assert resp.r_message, "verification message"
            done = b.stub.Complete(broker_pb2.CompleteRequest(
                state=init.state,
                input=broker_pb2.MikeyInput(text=resp.key_mgmt)), timeout=10)
            expect_same_keys(init.streams, done.streams, "Complete")
            # Pinned, the Responder's certificate given as DER, no V.
            init = a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PUBLIC_KEY, suite=GCM128,
                streams=streams(), key=key_ref("pin-a"),
                peer_certificate=creds["pin-b"].cert_der()), timeout=10)
            expect_eq(init.state, b"", "no state without V")
            resp = b.stub.Respond(broker_pb2.RespondRequest(
                input=broker_pb2.MikeyInput(message=init.i_message),
                key=key_ref("pin-b")), timeout=10)
            expect_eq(resp.r_message, b"", "no R_MESSAGE without V")
            expect_same_keys(init.streams, resp.streams, "pinned PK keys")
            expect_libsrtp_accepts(init.streams, resp.streams)

        def rsa_r():
            for key_i, key_r in (("pin-a", "pin-b"), ("ca-a", "ca-b")):
                init = a.stub.Initiate(broker_pb2.InitiateRequest(
                    mode=broker_pb2.MODE_RSA_R, suite=SUITE80,
                    streams=streams(), key=key_ref(key_i)), timeout=10)
                expect_eq(len(init.streams), 0, "no keys before Complete")
                resp = b.stub.Respond(broker_pb2.RespondRequest(
                    input=broker_pb2.MikeyInput(message=init.i_message),
                    key=key_ref(key_r)), timeout=10)
                expect_eq(resp.mode, broker_pb2.MODE_RSA_R, "mode")
                done = b.stub.Complete(broker_pb2.CompleteRequest(
                    state=init.state,
                    input=broker_pb2.MikeyInput(message=resp.r_message)),
                    timeout=10)
                expect_eq(done.mode, broker_pb2.MODE_RSA_R, "mode")
                expect_same_keys(done.streams, resp.streams, "RSA-R keys")
                expect_libsrtp_accepts(done.streams, resp.streams)

        def unpinned_certificate_refused():
            for mode in (broker_pb2.MODE_DH, broker_pb2.MODE_RSA_R):
                init = a.stub.Initiate(broker_pb2.InitiateRequest(
                    mode=mode, suite=SUITE80, key=key_ref("rogue")),
                    timeout=10)
                e = expect_rpc_error(lambda: b.stub.Respond(
                    broker_pb2.RespondRequest(
                        input=broker_pb2.MikeyInput(message=init.i_message),
                        key=key_ref("pin-b")), timeout=10),
                    grpc.StatusCode.FAILED_PRECONDITION, "pin")
                expect_mikey_error(b, e, INVALID_CERT, init.csb_id)
            # A PUBLIC_KEY Initiator refuses to encrypt to it.
            expect_rpc_error(lambda: a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PUBLIC_KEY, suite=SUITE80,
                key=key_ref("pin-a"),
                peer_certificate=creds["rogue"].cert_pem()), timeout=10),
                grpc.StatusCode.FAILED_PRECONDITION, "peer_certificate")

        def expired_certificate_refused():
            init = a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_DH, suite=SUITE80,
                key=key_ref("expired")), timeout=10)
            e = expect_rpc_error(lambda: b.stub.Respond(
                broker_pb2.RespondRequest(
                    input=broker_pb2.MikeyInput(message=init.i_message),
                    key=key_ref("ca-b")), timeout=10),
                grpc.StatusCode.FAILED_PRECONDITION, "expired")
            expect_mikey_error(b, e, INVALID_CERT, init.csb_id)
            expect_rpc_error(lambda: a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PUBLIC_KEY, suite=SUITE80,
                key=key_ref("ca-a"),
                peer_certificate=creds["expired"].chain_pem()), timeout=10),
                grpc.StatusCode.FAILED_PRECONDITION, "expired")

        def request_errors():
            expect_rpc_error(lambda: a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_DH, suite=SUITE80,
                key=key_ref("no-such-cred")), timeout=10),
                grpc.StatusCode.NOT_FOUND, "no-such-cred")
            expect_rpc_error(lambda: a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_DH, suite=SUITE80, key=key_ref("psk")),
                timeout=10), grpc.StatusCode.INVALID_ARGUMENT,
                "symmetric key")
            expect_rpc_error(lambda: a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PSK, suite=SUITE80, key=key_ref("pin-a")),
                timeout=10), grpc.StatusCode.INVALID_ARGUMENT,
                "RSA credential")
            expect_rpc_error(lambda: a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PUBLIC_KEY, suite=SUITE80,
                key=key_ref("pin-a"), peer_certificate=b"garbage"),
                timeout=10), grpc.StatusCode.INVALID_ARGUMENT,
                "peer_certificate")
            expect_rpc_error(lambda: a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PUBLIC_KEY, suite=SUITE80,
                key=key_ref("pin-a")), timeout=10),
                grpc.StatusCode.INVALID_ARGUMENT, "peer_certificate: required")
            # A DH I_MESSAGE answered without a credential.
            init = a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_DH, suite=SUITE80, key=key_ref("pin-a")),
                timeout=10)
            expect_rpc_error(lambda: b.stub.Respond(broker_pb2.RespondRequest(
                input=broker_pb2.MikeyInput(message=init.i_message)),
                timeout=10), grpc.StatusCode.INVALID_ARGUMENT, "key: required")

        def psk_init(server):
            return server.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PSK, suite=SUITE80, streams=streams(),
                key=key_ref("psk")), timeout=10)

        def respond(server, init, key_id="psk"):
            return server.stub.Respond(broker_pb2.RespondRequest(
                input=broker_pb2.MikeyInput(message=init.i_message),
                key=key_ref(key_id)), timeout=10)

        def expect_replay_refused(server, init, key_id="psk"):
            e = expect_rpc_error(lambda: respond(server, init, key_id),
                                 grpc.StatusCode.FAILED_PRECONDITION, "replay")
            expect_mikey_error(server, e, INVALID_TS, init.csb_id)

        def memory_caches_miss_cross_replica_replays():
            # Why Redis: each in-memory cache knows only its own replica.
            init = psk_init(a)
            first = respond(a, init)
            replayed = respond(b, init)  # accepted again: NOT caught
            expect_same_keys(first.streams, replayed.streams,
                             "the replay got the keys")
            expect_replay_refused(a, init)  # the same replica does catch it
            expect_replay_refused(b, init)

        def redis_catches_cross_replica_replays():
            before = int(redis_command(redis.port, "DBSIZE")[1:])
            init = psk_init(r1)
            respond(r1, init)
            expect_replay_refused(r2, init)
            expect_replay_refused(r1, init)
            # The public-key modes use the same cache.
            dh_init = r1.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_DH, suite=SUITE80, key=key_ref("pin-a")),
                timeout=10)
            respond(r2, dh_init, "pin-b")
            expect_replay_refused(r1, dh_init, "pin-b")
            pk_init = r2.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PUBLIC_KEY, suite=SUITE80,
                key=key_ref("ca-a"),
                peer_certificate=creds["ca-b"].cert_pem()), timeout=10)
            respond(r1, pk_init, "ca-b")
            expect_replay_refused(r2, pk_init, "ca-b")
            after = int(redis_command(redis.port, "DBSIZE")[1:])
            expect_eq(after - before, 3, "one Redis key per accepted message")
            # Under the configured prefix (KEYS answers "*<count>" first).
            expect_eq(redis_command(redis.port, "KEYS", "e2e:*").split()[0],
                      "*3", "keys under redis_key_prefix")
            for s in (r1, r2):
                log = s.stderr()
                assert ("replay cache: redis %s: reachable" % redis.address()
                        in log), log
            assert "replay cache: in memory" in a.stderr(), a.stderr()
            assert "2 pin(s)" in a.stderr(), a.stderr()

        def redis_down_fails_closed():
            # Last: stops Redis. Respond refuses rather than skip the check.
            redis.stop()
            init = psk_init(r1)
            expect_rpc_error(lambda: respond(r2, init),
                             grpc.StatusCode.UNAVAILABLE)

        check("DH with pinned self-signed certificates: Initiate on A, "
              "Respond and Complete on B, libsrtp agrees", dh_pinned)
        check("DH with a CA (trust.per_key): Initiate and Complete on A, "
              "Respond on B, libsrtp agrees", dh_with_ca)
        check("PUBLIC_KEY with V (CA) and without (pinned), libsrtp agrees",
              public_key_with_v)
        check("RSA_R pinned and with the CA: Complete on B, libsrtp agrees",
              rsa_r)
        check("unpinned certificate: FAILED_PRECONDITION with the MIKEY "
              "Error message", unpinned_certificate_refused)
        check("expired certificate: FAILED_PRECONDITION with the MIKEY "
              "Error message", expired_certificate_refused)
        check("NOT_FOUND and INVALID_ARGUMENT", request_errors)
        check("in-memory replay caches miss a replay to another replica",
              memory_caches_miss_cross_replica_replays)
        check("a shared redis-server catches a replay through another "
              "replica", redis_catches_cross_replica_replays)
        check("Redis unreachable: Respond fails closed (UNAVAILABLE)",
              redis_down_fails_closed)
    finally:
        for s in servers:
            check("mikeyd %s: SIGTERM -> exit 0" % s.name, s.stop)
        if redis is not None:
            redis.stop()

    def bad_configurations_stop_mikeyd():
        cases = [
            ({"pins": ["sha256/AAEC"]}, None, "trust.pins[0]"),
            ({"ca_files": ["/nonexistent/ca.pem"]}, None,
             "trust.ca_files[0]"),
            ({"per_key": {"ca-a": {}}}, None, "trust.per_key['ca-a']"),
            ({"ca_files": [os.path.join(keystore, "psk.v1")]}, None,
             "trust.ca_files[0]"),
            ({}, {"backend": "redis"}, "replay.redis_address"),
            ({}, {"backend": "memcached"}, "replay.backend"),
        ]
        for i, (t, replay, what) in enumerate(cases):
            config = write_config(os.path.join(TMP, "bad%d.json" % i),
                                  keystore, t, replay)
            code, err = run_mikeyd_expecting_failure(config)
            expect_eq(code, 2, "exit status for %s: %s" % (what, err))
            assert what in err and config in err, (what, err)

    def bad_credential_stops_mikeyd():
        bad = os.path.join(TMP, "badkeys")
        shutil.copytree(keystore, bad)
        # The certificate of another key.
        shutil.copy(os.path.join(keystore, "pin-b.v1.crt.pem"),
                    os.path.join(bad, "pin-a.v1.crt.pem"))
        config = write_config(os.path.join(TMP, "badkeys.json"), bad, trust)
        code, err = run_mikeyd_expecting_failure(config)
        expect_eq(code, 2, "exit status: " + err)
        assert "does not belong" in err, err
        os.unlink(os.path.join(bad, "pin-a.v1.crt.pem"))
        code, err = run_mikeyd_expecting_failure(config)
        expect_eq(code, 2, "exit status: " + err)
        assert "without pin-a.v1.crt.pem" in err, err

    def no_private_keys_in_logs():
        for s in servers:
            log = s.stderr()
            for c in creds.values():
                for fragment in c.private_fragments():
                    assert fragment not in log, (s.name, c.name)
            for secret in (PSK, STATE_KEY):
                assert not e2e_util.find_secrets(log, {"k": secret}), s.name

    check("bad trust / replay settings: exit 2 naming the field",
          bad_configurations_stop_mikeyd)
    check("a credential whose key and certificate differ: exit 2",
          bad_credential_stops_mikeyd)
    check("no private key or keystore key in any log", no_private_keys_in_logs)
    return CASES.finish()


if __name__ == "__main__":
    sys.exit(main())
