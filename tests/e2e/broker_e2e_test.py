"""End-to-end test of mikeyd's key exchange RPCs.

Starts two mikeyd processes (A and B) sharing one keystore directory (the
layout of a Kubernetes Secret volume: <key_id>.v<N> files holding hex, via a
configuration file), and one on the embedded default (C: demo keys, inline
keys). Then, with python3-grpcio and the stubs generated from broker.proto:

- every RPC: Initiate, Respond, Complete, DeriveSessionKeys;
- PSK, PSK with the V flag, MIKEY-NULL and DHHMAC exchanges whose halves run
  on different processes (Initiate on A, Respond and Complete on B), the
  keys equal on both sides;
- those keys accepted by libsrtp 2 (srtp_roundtrip: protect with the
  Initiator's keys, unprotect with the Responder's), and refused when they
  differ;
- error codes: FAILED_PRECONDITION with the MIKEY Error message in the status
  details, NOT_FOUND, INVALID_ARGUMENT for altered or foreign state tokens;
- a key rotation picked up from the directory without a restart;
- `buf curl` through server reflection, and mikeyctl's subcommands.

The buf binary is found at tools/node/node_modules/.bin/buf of the source
tree this script lives in (resolved through the runfiles symlink; installed
by tools/setup), or at $MIKEY_BUF when set (bazel test --test_env=MIKEY_BUF).

Ends with "N passed, N failed"; the exit status is 0 only if nothing failed.
"""

import argparse
import base64
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("--mikeyd", required=True)
parser.add_argument("--mikeyctl", required=True)
parser.add_argument("--srtp_roundtrip", required=True)
parser.add_argument("--pythonpath", required=True)
parser.add_argument("--casetest", required=True)
FLAGS = parser.parse_args()
sys.path.insert(0, FLAGS.pythonpath)
sys.path.insert(0, os.path.dirname(FLAGS.casetest))

import grpc  # noqa: E402
from mikey.broker.v1 import broker_pb2  # noqa: E402
from mikey.broker.v1 import broker_pb2_grpc  # noqa: E402
import casetest  # noqa: E402

CASES = casetest.Cases("broker_e2e")
check = CASES.check

TMP = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
PSK_V1 = bytes(range(0x00, 0x20))
PSK_V2 = bytes(range(0x40, 0x60))
STATE_KEY = bytes(range(0x80, 0xA0))
SUITE80 = "AES_CM_128_HMAC_SHA1_80"

# RFC 3711 Appendix B.3.
RFC3711_KEY = bytes.fromhex("E1F97A0D3E018BE0D64FA32C06DE4139")
RFC3711_SALT = bytes.fromhex("0EC675AD498AFEEBB6960B3AABE6")
RFC3711_CIPHER_KEY = bytes.fromhex("C61E7A93744F39EE10734AFE3FF7A087")
RFC3711_SALT_OUT = bytes.fromhex("30CBBC08863D8C85D49DB34A9AE1")
RFC3711_AUTH_KEY = bytes.fromhex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4")


def expect_eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def expect_rpc_error(fn, code, substring=""):
    try:
        fn()
    except grpc.RpcError as e:
        expect_eq(e.code(), code, "status code (%s)" % e.details())
        assert substring in e.details(), (substring, e.details())
        return e
    raise AssertionError("call succeeded; expected %s" % code)


def write_key(dir_, name, key):
    # Written under a dot name (skipped by the keystore), then renamed: the
    # poller never sees a half-written file.
    tmp = os.path.join(dir_, "." + name + ".tmp")
    with open(tmp, "w") as f:
        f.write(key.hex() + "\n")
    os.rename(tmp, os.path.join(dir_, name))


# --- servers ---

class Server:
    def __init__(self, name, args):
        self.name = name
        self.log_path = os.path.join(TMP, name + ".stderr")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [FLAGS.mikeyd, "--listen=127.0.0.1:0"] + args,
            stdout=subprocess.PIPE, stderr=self.log)
        deadline = time.time() + 20
        line = b""
        while not line.endswith(b"\n"):
            remaining = deadline - time.time()
            if remaining <= 0 or self.proc.poll() is not None:
                self.proc.kill()
                raise AssertionError("mikeyd %s did not start: %r %s" %
                                     (name, line, self.stderr()))
            ready, _, _ = select.select([self.proc.stdout], [], [], remaining)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 1)
                if chunk:
                    line += chunk
        text = line.decode().strip()
        prefix = "mikeyd listening on 127.0.0.1:"
        if not text.startswith(prefix):
            self.proc.kill()
            raise AssertionError("unexpected first line %r" % text)
        self.target = "127.0.0.1:" + text[len(prefix):]
        self.channel = grpc.insecure_channel(self.target)
        grpc.channel_ready_future(self.channel).result(timeout=20)
        self.stub = broker_pb2_grpc.KeyBrokerStub(self.channel)

    def stderr(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        self.channel.close()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError("mikeyd %s did not stop" % self.name)
        self.proc.stdout.close()
        self.log.close()
        expect_eq(code, 0, "exit status of %s; stderr: %s" %
                  (self.name, self.stderr()))


def run(args, stdin=b""):
    p = subprocess.run(args, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


# --- helpers ---

def key_ref(key_id=None, inline=None):
    if inline is not None:
        return broker_pb2.KeyReference(inline_key=inline)
    return broker_pb2.KeyReference(key_id=key_id)


def stream_tuple(s):
    return (s.ssrc, s.roc, s.suite, s.master_key, s.master_salt, s.mki,
            s.cs_id, s.csb_id)


def expect_same_keys(a, b, what):
    expect_eq([stream_tuple(s) for s in a], [stream_tuple(s) for s in b],
              what)
    assert len(a) > 0, what


def srtp_roundtrip(tx, rx, ssrc=None):
    """Protects with tx's keys, unprotects with rx's; returns the exit code."""
    code, out, err = run([
        FLAGS.srtp_roundtrip, "--suite=" + tx.suite,
        "--tx_key=" + tx.master_key.hex(), "--tx_salt=" + tx.master_salt.hex(),
        "--rx_key=" + rx.master_key.hex(), "--rx_salt=" + rx.master_salt.hex(),
        "--ssrc=%d" % (tx.ssrc if ssrc is None else ssrc),
        "--roc=%d" % tx.roc])
    assert code in (0, 1), (code, out, err)
    return code


def expect_libsrtp_accepts(initiator_streams, responder_streams):
    for tx, rx in zip(initiator_streams, responder_streams):
        expect_eq(srtp_roundtrip(tx, rx), 0,
                  "libsrtp with the two sides' keys (%s)" % tx.suite)


def find_buf():
    env = os.environ.get("MIKEY_BUF")
    if env:
        return env
    source = os.path.dirname(os.path.realpath(__file__))
    root = os.path.dirname(os.path.dirname(source))
    return os.path.join(root, "tools", "node", "node_modules", ".bin", "buf")


def main():
    keystore = os.path.join(TMP, "keys")
    os.mkdir(keystore)
    write_key(keystore, "psk.v1", PSK_V1)
    write_key(keystore, "state-key.v1", STATE_KEY)
    config = os.path.join(TMP, "mikeyd.json")
    with open(config, "w") as f:
        json.dump({
            "plaintext_loopback_ok": True,
            "keystore": {"dir": keystore, "reload_interval": "1s"},
            "inline_keys_allowed": False,
            "state": {"key_id": "state-key", "ttl": "120s"},
        }, f)

    servers = []
    try:
        a = Server("A", ["--config=" + config])
        servers.append(a)
        b = Server("B", ["--config=" + config])
        servers.append(b)
        c = Server("C", [])
        servers.append(c)

        def psk_across_replicas():
            init = a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PSK, suite=SUITE80,
                streams=[broker_pb2.StreamSpec(ssrc=0x11111111, roc=3),
                         broker_pb2.StreamSpec(
                             ssrc=0x22222222,
                             suite="AES_256_CM_HMAC_SHA1_80")],
                key=key_ref("psk")), timeout=10)
            expect_eq(init.mode, broker_pb2.MODE_PSK, "mode")
            expect_eq(init.state, b"", "state without V")
            expect_eq((init.key.key_id, init.key.version), ("psk", 1), "key")
            expect_eq(init.key_mgmt,
                      "mikey " + base64.b64encode(init.i_message).decode(),
                      "key_mgmt")
            resp = b.stub.Respond(broker_pb2.RespondRequest(
                input=broker_pb2.MikeyInput(text=init.key_mgmt),
                key=key_ref("psk")), timeout=10)
            expect_eq(resp.r_message, b"", "no R_MESSAGE without V")
            expect_same_keys(init.streams, resp.streams, "PSK keys")
            expect_eq([s.ssrc for s in resp.streams], [0x11111111, 0x22222222],
                      "SSRCs")
            expect_libsrtp_accepts(init.streams, resp.streams)
            # And libsrtp refuses when the keys differ (the check can fail).
            other = a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PSK, suite=SUITE80, key=key_ref("psk")),
                timeout=10)
            expect_eq(srtp_roundtrip(init.streams[0], other.streams[0],
                                     ssrc=1), 1, "libsrtp with other keys")

        def psk_v_flag_complete_on_other_replica():
            init = a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PSK, suite="AEAD_AES_128_GCM",
                streams=[broker_pb2.StreamSpec(ssrc=0xCAFE)], v_flag=True,
                prf_func=broker_pb2.PRF_FUNC_MIKEY_256,
                key=key_ref("psk")), timeout=10)
            assert init.state, "state"
            assert init.state_expire_time.seconds > time.time(), "expiry"
            resp = b.stub.Respond(broker_pb2.RespondRequest(
                input=broker_pb2.MikeyInput(message=init.i_message),
                key=key_ref("psk")), timeout=10)
            assert resp.r_message, "R_MESSAGE"
            done = b.stub.Complete(broker_pb2.CompleteRequest(
                state=init.state,
                input=broker_pb2.MikeyInput(text=resp.key_mgmt)), timeout=10)
            expect_eq(done.mode, broker_pb2.MODE_PSK, "mode")
            expect_same_keys(init.streams, done.streams, "Initiate/Complete")
            expect_same_keys(resp.streams, done.streams, "Respond/Complete")
            expect_libsrtp_accepts(done.streams, resp.streams)
            # The R_MESSAGE as Decode sees it.
            decoded = a.stub.Decode(broker_pb2.DecodeRequest(
                input=broker_pb2.MikeyInput(message=resp.r_message)),
                timeout=10)
            expect_eq(decoded.message.header.data_type,
                      broker_pb2.DATA_TYPE_PSK_VERIFY, "R_MESSAGE type")

            # Altered token, and a token presented with another exchange's
            # R_MESSAGE: INVALID_ARGUMENT.
            bad = bytearray(init.state)
            bad[-1] ^= 1
            expect_rpc_error(lambda: b.stub.Complete(broker_pb2.CompleteRequest(
                state=bytes(bad),
                input=broker_pb2.MikeyInput(message=resp.r_message)),
                timeout=10), grpc.StatusCode.INVALID_ARGUMENT, "state")
            init2 = a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PSK, suite=SUITE80, v_flag=True,
                key=key_ref("psk")), timeout=10)
            resp2 = b.stub.Respond(broker_pb2.RespondRequest(
                input=broker_pb2.MikeyInput(message=init2.i_message),
                key=key_ref("psk")), timeout=10)
            expect_rpc_error(lambda: a.stub.Complete(broker_pb2.CompleteRequest(
                state=init.state,
                input=broker_pb2.MikeyInput(message=resp2.r_message)),
                timeout=10), grpc.StatusCode.INVALID_ARGUMENT,
                "another exchange")
            # A token of another deployment (C has its own demo state key).
            expect_rpc_error(lambda: c.stub.Complete(broker_pb2.CompleteRequest(
                state=init2.state,
                input=broker_pb2.MikeyInput(message=resp2.r_message)),
                timeout=10), grpc.StatusCode.INVALID_ARGUMENT, "state")

        def mikey_null_across_replicas():
            init = a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PSK_NULL, suite=SUITE80,
                streams=[broker_pb2.StreamSpec(ssrc=0xABCDEF01)]), timeout=10)
            expect_eq(init.mode, broker_pb2.MODE_PSK_NULL, "mode")
            expect_eq(len(init.streams[0].mki), 4, "default MKI")
            resp = b.stub.Respond(broker_pb2.RespondRequest(
                input=broker_pb2.MikeyInput(message=init.i_message),
                accept_mikey_null=True), timeout=10)
            expect_eq(resp.mode, broker_pb2.MODE_PSK_NULL, "mode")
            expect_same_keys(init.streams, resp.streams, "MIKEY-NULL keys")
            expect_libsrtp_accepts(init.streams, resp.streams)
            expect_rpc_error(lambda: b.stub.Respond(broker_pb2.RespondRequest(
                input=broker_pb2.MikeyInput(message=init.i_message)),
                timeout=10), grpc.StatusCode.INVALID_ARGUMENT,
                "accept_mikey_null")

        def dhhmac_across_replicas():
            init = a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_DHHMAC, suite="AEAD_AES_256_GCM",
                streams=[broker_pb2.StreamSpec(ssrc=0x5150)],
                # RFC 4650 §3: IDr is mandatory when IDi is sent.
                initiator_id="sip:a@example.org",
                responder_id="sip:b@example.org", key=key_ref("psk")),
                timeout=10)
            expect_eq(len(init.streams), 0, "no keys before Complete")
            resp = b.stub.Respond(broker_pb2.RespondRequest(
                input=broker_pb2.MikeyInput(message=init.i_message),
                key=key_ref("psk")), timeout=10)
            done = a.stub.Complete(broker_pb2.CompleteRequest(
                state=init.state,
                input=broker_pb2.MikeyInput(message=resp.r_message)),
                timeout=10)
            expect_eq(done.mode, broker_pb2.MODE_DHHMAC, "mode")
            expect_same_keys(done.streams, resp.streams, "DHHMAC keys")
            expect_libsrtp_accepts(done.streams, resp.streams)

        def wrong_key_gives_mikey_error():
            init = c.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PSK, suite=SUITE80,
                key=key_ref(inline=bytes(16))), timeout=10)
            e = expect_rpc_error(lambda: c.stub.Respond(
                broker_pb2.RespondRequest(
                    input=broker_pb2.MikeyInput(message=init.i_message),
                    key=key_ref(inline=bytes([1] * 16))), timeout=10),
                grpc.StatusCode.FAILED_PRECONDITION, "MAC")
            md = dict(e.trailing_metadata() or ())
            status = broker_pb2.RpcStatus.FromString(
                md["grpc-status-details-bin"])
            expect_eq(status.code, grpc.StatusCode.FAILED_PRECONDITION.value[0],
                      "details code")
            expect_eq(len(status.details), 1, "details")
            error = broker_pb2.RespondError()
            assert status.details[0].Unpack(error), status.details[0].type_url
            expect_eq(error.error_name, "Authentication failure", "error")
            decoded = c.stub.Decode(broker_pb2.DecodeRequest(
                input=broker_pb2.MikeyInput(text=error.key_mgmt)), timeout=10)
            expect_eq(decoded.message.header.data_type,
                      broker_pb2.DATA_TYPE_ERROR, "Error message")
            expect_eq(decoded.message.header.csb_id, init.csb_id, "CSB ID")

        def not_found_and_invalid():
            expect_rpc_error(lambda: a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PSK, suite=SUITE80,
                key=key_ref("no-such-key")), timeout=10),
                grpc.StatusCode.NOT_FOUND, "no-such-key")
            expect_rpc_error(lambda: a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PSK, suite="AES_CM_64",
                key=key_ref("psk")), timeout=10),
                grpc.StatusCode.INVALID_ARGUMENT, "suite")
            # A and B refuse inline keys (their configuration says so).
            expect_rpc_error(lambda: a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PSK, suite=SUITE80,
                key=key_ref(inline=bytes(16))), timeout=10),
                grpc.StatusCode.INVALID_ARGUMENT, "inline")
            # A SAKKE I_MESSAGE header (v1, data type 26, CSB 01020304, no
            # CS): a mode this server does not implement.
            expect_rpc_error(lambda: b.stub.Respond(broker_pb2.RespondRequest(
                input=broker_pb2.MikeyInput(
                    message=bytes.fromhex("011a0000010203040000")),
                key=key_ref("psk")), timeout=10),
                grpc.StatusCode.UNIMPLEMENTED, "SAKKE")

        def demo_keystore_and_sdp():
            sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                   "m=audio 5004 RTP/SAVP 0\r\n")
            init = c.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PSK, suite=SUITE80,
                key=key_ref("demo-psk"), sdp=sdp), timeout=10)
            expect_eq(init.sdp, sdp.replace(
                "m=audio", "a=key-mgmt:" + init.key_mgmt + "\r\nm=audio"),
                "SDP")
            resp = c.stub.Respond(broker_pb2.RespondRequest(
                input=broker_pb2.MikeyInput(text=init.sdp),
                key=key_ref("demo-psk")), timeout=10)
            expect_same_keys(init.streams, resp.streams, "demo keys")

        def derive_session_keys():
            r = a.stub.DeriveSessionKeys(broker_pb2.DeriveSessionKeysRequest(
                suite=SUITE80, master_key=RFC3711_KEY,
                master_salt=RFC3711_SALT), timeout=10)
            expect_eq(r.srtp.encryption_key, RFC3711_CIPHER_KEY, "cipher key")
            expect_eq(r.srtp.salt, RFC3711_SALT_OUT, "salt")
            expect_eq(r.srtp.authentication_key, RFC3711_AUTH_KEY, "auth key")
            expect_rpc_error(lambda: a.stub.DeriveSessionKeys(
                broker_pb2.DeriveSessionKeysRequest(
                    suite=SUITE80, master_key=b"short",
                    master_salt=RFC3711_SALT), timeout=10),
                grpc.StatusCode.INVALID_ARGUMENT, "master_key")

        def key_rotation_without_restart():
            # A message under version 1, answered after the rotation.
            old = a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PSK, suite=SUITE80, key=key_ref("psk")),
                timeout=10)
            write_key(keystore, "psk.v2", PSK_V2)
            deadline = time.time() + 20
            while True:
                new = a.stub.Initiate(broker_pb2.InitiateRequest(
                    mode=broker_pb2.MODE_PSK, suite=SUITE80,
                    key=key_ref("psk")), timeout=10)
                if new.key.version == 2:
                    break
                if time.time() > deadline:
                    raise AssertionError("A did not pick up psk.v2")
                time.sleep(0.2)
            # B may take its own poll to see v2.
            deadline = time.time() + 20
            while True:
                try:
                    resp = b.stub.Respond(broker_pb2.RespondRequest(
                        input=broker_pb2.MikeyInput(message=new.i_message),
                        key=key_ref("psk")), timeout=10)
                    break
                except grpc.RpcError as e:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.2)
            expect_eq(resp.key.version, 2, "new message verified by v2")
            expect_same_keys(new.streams, resp.streams, "v2 keys")
            resp = b.stub.Respond(broker_pb2.RespondRequest(
                input=broker_pb2.MikeyInput(message=old.i_message),
                key=key_ref("psk")), timeout=10)
            expect_eq(resp.key.version, 1, "old message verified by v1")
            expect_same_keys(old.streams, resp.streams, "v1 keys")
            assert "keystore: reloaded" in a.stderr(), a.stderr()

        def bad_key_file_keeps_keys():
            write_key(keystore, "broken.v1", b"")  # empty key: invalid
            deadline = time.time() + 20
            while "reload of" not in a.stderr():
                if time.time() > deadline:
                    raise AssertionError("no reload failure logged: " +
                                         a.stderr())
                time.sleep(0.2)
            a.stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PSK, suite=SUITE80, key=key_ref("psk")),
                timeout=10)
            os.unlink(os.path.join(keystore, "broken.v1"))

        def buf_curl_through_reflection():
            buf = find_buf()
            assert os.path.exists(buf), (
                "buf not found at %s (run tools/setup, or set MIKEY_BUF)" % buf)
            env = dict(os.environ, HOME=TMP,
                       BUF_CACHE_DIR=os.path.join(TMP, "buf-cache"))
            body = json.dumps({
                "suite": SUITE80,
                "masterKey": base64.b64encode(RFC3711_KEY).decode(),
                "masterSalt": base64.b64encode(RFC3711_SALT).decode()})
            p = subprocess.run(
                [buf, "curl", "--protocol", "grpc", "--http2-prior-knowledge",
                 "-d", body,
                 "http://%s/mikey.broker.v1.KeyBroker/DeriveSessionKeys" %
                 a.target],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                env=env)
            expect_eq(p.returncode, 0, "buf exit; stderr: %s" %
                      p.stderr.decode())
            out = json.loads(p.stdout)
            expect_eq(base64.b64decode(out["srtp"]["encryptionKey"]),
                      RFC3711_CIPHER_KEY, "buf: cipher key")

        def mikeyctl_subcommands():
            ctl = FLAGS.mikeyctl
            code, out, err = run([ctl, "initiate", "--server=" + a.target,
                                  "--mode=psk", "--suite=" + SUITE80,
                                  "--streams=0x1234:7,42", "--key_id=psk",
                                  "--v_flag"])
            expect_eq(code, 0, "initiate: " + err)
            init = json.loads(out)
            expect_eq([s["ssrc"] for s in init["streams"]], [0x1234, 42],
                      "SSRCs")
            code, out, err = run([ctl, "respond", "--server=" + b.target,
                                  "--key_id=psk", "-"],
                                 stdin=init["key_mgmt"].encode())
            expect_eq(code, 0, "respond: " + err)
            resp = json.loads(out)
            code, out, err = run([ctl, "complete", "--server=" + b.target,
                                  "--state=" + init["state"],
                                  resp["key_mgmt"]])
            expect_eq(code, 0, "complete: " + err)
            done = json.loads(out)
            for k in ("master_key", "master_salt", "ssrc", "roc"):
                expect_eq([s[k] for s in done["streams"]],
                          [s[k] for s in init["streams"]], k)
                expect_eq([s[k] for s in resp["streams"]],
                          [s[k] for s in init["streams"]], k)
            # A failed Respond prints the MIKEY Error message for the peer.
            code, out, err = run([ctl, "respond", "--server=" + c.target,
                                  "--inline_key=" + "11" * 16,
                                  init["key_mgmt"]])
            expect_eq(code, 1, "respond with a wrong key")
            assert "MIKEY Error message for the peer" in err, err
            # derive, offline and against the server.
            args = ["derive", "--suite=" + SUITE80,
                    "--master_key=" + RFC3711_KEY.hex(),
                    "--master_salt=" + RFC3711_SALT.hex()]
            code, offline, err = run([ctl] + args)
            expect_eq(code, 0, "derive offline: " + err)
            code, online, err = run([ctl] + args + ["--server=" + a.target])
            expect_eq(code, 0, "derive --server: " + err)
            expect_eq(json.loads(online), json.loads(offline), "derive JSON")
            expect_eq(base64.b64decode(
                json.loads(online)["srtp"]["encryption_key"]),
                RFC3711_CIPHER_KEY, "derive key")
            # Usage errors.
            code, _, err = run([ctl, "initiate", "--mode=nope",
                                "--server=" + a.target])
            expect_eq(code, 2, "bad --mode")

        check("PSK: Initiate on A, Respond on B, same keys, libsrtp agrees",
              psk_across_replicas)
        check("PSK with V: Complete on another replica; bad states refused",
              psk_v_flag_complete_on_other_replica)
        check("MIKEY-NULL across replicas, libsrtp agrees",
              mikey_null_across_replicas)
        check("DHHMAC: Initiate on A, Respond on B, Complete on A",
              dhhmac_across_replicas)
        check("wrong key: FAILED_PRECONDITION with the MIKEY Error message",
              wrong_key_gives_mikey_error)
        check("NOT_FOUND, INVALID_ARGUMENT, UNIMPLEMENTED",
              not_found_and_invalid)
        check("demo keystore and SDP insertion", demo_keystore_and_sdp)
        check("DeriveSessionKeys: RFC 3711 B.3", derive_session_keys)
        check("key rotation picked up without a restart",
              key_rotation_without_restart)
        check("a bad key file keeps the previous keys",
              bad_key_file_keeps_keys)
        check("buf curl through server reflection",
              buf_curl_through_reflection)
        check("mikeyctl initiate, respond, complete, derive",
              mikeyctl_subcommands)
    finally:
        for s in servers:
            check("mikeyd %s: SIGTERM -> exit 0" % s.name, s.stop)

    def no_keys_in_logs():
        # Audit lines and banners: never key material.
        for s in servers:
            log = s.stderr()
            for secret in (PSK_V1, PSK_V2, STATE_KEY):
                assert secret.hex() not in log, s.name
                assert base64.b64encode(secret).decode() not in log, s.name

    check("no keystore key (hex or base64) in any server's log",
          no_keys_in_logs)

    return CASES.finish()


if __name__ == "__main__":
    sys.exit(main())
