"""End-to-end test of mikeyd's transport and operations side: configuration
file, TLS and mutual TLS, client identity, the authorization policy, the
audit log, the Prometheus endpoint, draining on SIGTERM, and that no key
material reaches any log.

Every certificate and key is generated here, at test time (a CA, a server
certificate for 127.0.0.1/localhost, client certificates with SAN URIs, one
with only a CN, and a client of another CA). mikeyd runs from a JSON
configuration file with mutual TLS required, a policy file, an audit log file,
a metrics port and a keystore directory of random keys.

Ends with "N passed, N failed"; the exit status is 0 only if nothing failed.
"""

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("--mikeyd", required=True)
parser.add_argument("--pythonpath", required=True)
parser.add_argument("--casetest", required=True)
FLAGS = parser.parse_args()
sys.path.insert(0, FLAGS.pythonpath)
sys.path.insert(0, os.path.dirname(FLAGS.casetest))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import grpc  # noqa: E402
from mikey.broker.v1 import broker_pb2  # noqa: E402
from mikey.broker.v1 import broker_pb2_grpc  # noqa: E402
import casetest  # noqa: E402
import e2e_util  # noqa: E402
from e2e_util import expect_eq  # noqa: E402

CASES = casetest.Cases("transport_e2e")
check = CASES.check

# The MIKEY-NULL PSK I_MESSAGE of decode_e2e_test.py (RFC 3830 section 6 by
# hand): its KEMAC carries KEY and SALT in clear, so Decode sees them.
PSK_MESSAGE = bytes.fromhex(
    "01000500" "12345678" "0100" "00deadbeef00000007"
    "0b00" "e93c7f0080000000"
    "0a10" "000102030405060708090a0b0c0d0e0f"
    "010000001a" "000101" "010110" "020101" "070101" "0b010a"
    "c809505152535455565758"
    "00000029" "00310010a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
    "000eb0b1b2b3b4b5b6b7b8b9babbbcbd0400000001" "00")

CAM = "spiffe://example.org/ns/media/sa/cam"
MONITOR = "spiffe://example.org/ns/media/sa/monitor"
STRANGER = "spiffe://example.org/ns/other/sa/stranger"

# Every secret this test hands to or gets from mikeyd, by name.
SECRETS = {
    "decode key": bytes.fromhex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"),
    "decode salt": bytes.fromhex("b0b1b2b3b4b5b6b7b8b9babbbcbd"),
}

DIR = e2e_util.tmpdir("transport_e2e")


def setup_files():
    """Certificates, keystore, policy and configuration under DIR."""
    ca = e2e_util.Ca("mikey test CA")
    other_ca = e2e_util.Ca("some other CA")
    files = {"ca": e2e_util.write(os.path.join(DIR, "ca.pem"), ca.pem)}
    cert, key = ca.issue("mikeyd", dns=["localhost"], ips=["127.0.0.1"],
                         server=True)
    files["server_cert"] = e2e_util.write(os.path.join(DIR, "server.pem"), cert)
    files["server_key"] = e2e_util.write(os.path.join(DIR, "server.key"), key)
    clients = {
        "cam": ca.issue("cam", uris=[CAM]),
        "monitor": ca.issue("monitor", uris=[MONITOR]),
        "stranger": ca.issue("stranger", uris=[STRANGER]),
        "legacy": ca.issue("legacy-encoder"),  # CN only
        "wrong_ca": other_ca.issue("cam", uris=[CAM]),
    }
    keys = os.path.join(DIR, "keys")
    os.makedirs(keys, exist_ok=True)
    for key_id in ("cam-1", "studio-1", "state-key"):
        secret = os.urandom(32)
        SECRETS["keystore " + key_id] = secret
        e2e_util.write(os.path.join(keys, key_id + ".v1"), secret.hex() + "\n")
    policy = {"rules": [
        {"client": CAM, "rpcs": ["*"], "key_ids": ["cam-*"]},
        {"client": "spiffe://example.org/ns/media/*", "rpcs": ["Decode"]},
        {"client": "CN=legacy-encoder", "rpcs": ["Decode"]},
    ]}
    e2e_util.write(os.path.join(DIR, "policy.json"), json.dumps(policy))
    files["audit"] = os.path.join(DIR, "audit.jsonl")
    if os.path.exists(files["audit"]):
        os.unlink(files["audit"])
    config = {
        "listen": "127.0.0.1:0",
        # Relative paths: relative to the configuration file.
        "tls": {"cert_file": "server.pem", "key_file": "server.key",
                "client_ca_file": "ca.pem", "require_client_cert": True},
        "policy_file": "policy.json",
        "audit": {"path": "audit.jsonl"},
        "metrics": {"listen": "127.0.0.1:0"},
        "keystore": {"dir": "keys", "reload_interval": "1s"},
        "state": {"key_id": "state-key", "ttl": "60s"},
        "inline_keys_allowed": False,
        "replay": {"max_skew": "300s"},
        "shutdown_drain": "1s",
        "shutdown_grace": "10s",
    }
    files["config"] = e2e_util.write(os.path.join(DIR, "config.json"),
                                     json.dumps(config, indent=1))
    return ca, files, clients


def channel(port, ca_pem, client=None, host="localhost"):
    cert, key = client if client else (None, None)
    creds = grpc.ssl_channel_credentials(root_certificates=ca_pem,
                                         private_key=key,
                                         certificate_chain=cert)
    return grpc.secure_channel("%s:%d" % (host, port), creds,
                               options=[("grpc.use_local_subchannel_pool", 1)])


def decode_request(message=PSK_MESSAGE):
    return broker_pb2.DecodeRequest(
        input=broker_pb2.MikeyInput(message=message))


def expect_code(fn, code, what=""):
    try:
        fn()
    except grpc.RpcError as e:
        expect_eq(e.code(), code, "%s status (%s)" % (what, e.details()))
        return e
    raise AssertionError("%s: succeeded, expected %s" % (what, code))


def audit_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    ca, files, clients = setup_files()

    # --- configuration errors, before anything listens ---

    def bad_config(config_text, *want, code=2, name="bad.json"):
        path = e2e_util.write(os.path.join(DIR, name), config_text)
        rc, out, err = e2e_util.run([FLAGS.mikeyd, "--config=" + path])
        expect_eq(rc, code, "exit status; stderr: " + err)
        expect_eq(out, "", "stdout")
        for w in want:
            assert w.replace("FILE", path) in err, (w, err)

    base = json.load(open(files["config"]))

    def with_change(**changes):
        c = json.loads(json.dumps(base))
        for k, v in changes.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        # Paths relative to DIR, where the bad file is written too.
        return json.dumps(c)

    def config_errors():
        bad_config('{"listen": "127.0.0.1:0", "bogus": 1}', "FILE:", "bogus")
        bad_config('{"listen": ', "FILE: not valid JSON: line 1")
        bad_config(with_change(tls=None), "FILE: tls: not set")
        bad_config(with_change(policy_file=None),
                   "FILE: policy_file: required with TLS")
        bad_config(with_change(keystore={"dir": ""}),
                   "FILE: keystore.dir: required")
        bad_config(with_change(tls={"cert_file": "missing.pem",
                                    "key_file": "server.key"}),
                   "FILE: tls.cert_file: ", "missing.pem: cannot read")
        bad_config(with_change(tls={"cert_file": "server.pem",
                                    "key_file": "ca.pem"}),
                   "FILE: tls.key_file: ", "no unencrypted PEM private key")
        bad_config(with_change(tls={"cert_file": "server.pem",
                                    "key_file": "server.key",
                                    "require_client_cert": True}),
                   "FILE: tls.require_client_cert: needs tls.client_ca_file")
        bad_config(with_change(state={"ttl": "-1s"}),
                   "FILE: state.ttl: must be positive")
        e2e_util.write(os.path.join(DIR, "bad-policy.json"),
                       '{"rules": [{"client": "*", "rpcs": ["Decod"]}]}')
        bad_config(with_change(policy_file="bad-policy.json"),
                   "bad-policy.json: rules[0].rpcs[0]: 'Decod' is not a "
                   "KeyBroker RPC")
        # Flags override the file and are named as flags.
        path = e2e_util.write(os.path.join(DIR, "good.json"),
                              with_change())
        rc, _, err = e2e_util.run([FLAGS.mikeyd, "--config=" + path,
                                   "--listen=nonsense"])
        expect_eq(rc, 2, "exit status: " + err)
        assert "--listen: " in err and path not in err, err

    def audit_log_must_be_writable():
        # No audit log, no service: exit 1 before listening.
        bad_config(with_change(audit={"path": "/nonexistent-dir/audit.jsonl"}),
                   "audit log /nonexistent-dir/audit.jsonl: cannot open",
                   code=1, name="bad-audit.json")

    check("configuration errors name file and field (exit 2)", config_errors)
    check("an audit log that cannot be opened stops the start (exit 1)",
          audit_log_must_be_writable)

    # --- the server ---

    server = e2e_util.Mikeyd(FLAGS.mikeyd, ["--config=" + files["config"]],
                             os.path.join(DIR, "mikeyd.stderr"),
                             expect_metrics=True)
    port = server.port
    counts = {"Decode OK": 0, "Decode INVALID_ARGUMENT": 0}
    try:
        cam = channel(port, ca.pem, clients["cam"])
        stub = broker_pb2_grpc.KeyBrokerStub(cam)

        def banner():
            err = server.stderr()
            for part in ("configuration: file " + files["config"],
                         "transport: TLS", "mutual TLS",
                         "authorization: policy", "3 rule(s)",
                         "audit log: " + files["audit"]):
                assert part in err, (part, err)
            assert "PLAINTEXT" not in err, err

        def mtls_call_ok():
            r = stub.Decode(decode_request(), timeout=10)
            counts["Decode OK"] += 1
            expect_eq(r.message.header.csb_id, 0x12345678, "csb_id")

        def mtls_bad_input():
            expect_code(lambda: stub.Decode(decode_request(b"\x02\x00\x00"),
                                            timeout=10),
                        grpc.StatusCode.INVALID_ARGUMENT, "garbage")
            counts["Decode INVALID_ARGUMENT"] += 1

        def no_client_certificate_refused():
            ch = channel(port, ca.pem, None)
            expect_code(lambda: broker_pb2_grpc.KeyBrokerStub(ch).Decode(
                decode_request(), timeout=10), grpc.StatusCode.UNAVAILABLE,
                "no client certificate")
            ch.close()

        def wrong_ca_refused():
            ch = channel(port, ca.pem, clients["wrong_ca"])
            expect_code(lambda: broker_pb2_grpc.KeyBrokerStub(ch).Decode(
                decode_request(), timeout=10), grpc.StatusCode.UNAVAILABLE,
                "client of another CA")
            ch.close()

        def plaintext_client_refused():
            ch = grpc.insecure_channel("127.0.0.1:%d" % port)
            expect_code(lambda: broker_pb2_grpc.KeyBrokerStub(ch).Decode(
                decode_request(), timeout=10), grpc.StatusCode.UNAVAILABLE,
                "plaintext client")
            ch.close()

        def server_certificate_checked_by_client():
            other = e2e_util.Ca("not the server's CA")
            ch = channel(port, other.pem, clients["cam"])
            expect_code(lambda: broker_pb2_grpc.KeyBrokerStub(ch).Decode(
                decode_request(), timeout=10), grpc.StatusCode.UNAVAILABLE,
                "untrusted server")
            ch.close()
            # The IP SAN works as well as the DNS one.
            ch = channel(port, ca.pem, clients["cam"], host="127.0.0.1")
            broker_pb2_grpc.KeyBrokerStub(ch).Decode(decode_request(),
                                                     timeout=10)
            counts["Decode OK"] += 1
            ch.close()

        def identities_in_audit_log():
            for name in ("monitor", "legacy"):
                ch = channel(port, ca.pem, clients[name])
                broker_pb2_grpc.KeyBrokerStub(ch).Decode(decode_request(),
                                                         timeout=10)
                counts["Decode OK"] += 1
                ch.close()
            callers = {(l["caller"], l["authenticated"])
                       for l in audit_lines(files["audit"])
                       if l["event"] == "call"}
            for want in (CAM, MONITOR, "CN=legacy-encoder"):
                assert (want, True) in callers, (want, callers)

        def policy_denies_rpc():
            ch = channel(port, ca.pem, clients["stranger"])
            e = expect_code(lambda: broker_pb2_grpc.KeyBrokerStub(ch).Decode(
                decode_request(), timeout=10),
                grpc.StatusCode.PERMISSION_DENIED, "stranger")
            ch.close()
            assert "Decode" in e.details(), e.details()
            # Names the caller and RPC, not the policy's rules.
            for internal in ("spiffe://example.org/ns/media/*", "cam-*",
                             "rule", "policy.json"):
                assert internal not in e.details(), e.details()
            denied = [l for l in audit_lines(files["audit"])
                      if l["event"] == "denied"]
            assert any(l["caller"] == STRANGER and l["rpc"] == "Decode" and
                       l["code"] == "PERMISSION_DENIED" for l in denied), denied

        def exchange_rpcs():
            req = broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PSK, suite="AES_CM_128_HMAC_SHA1_80",
                key=broker_pb2.KeyReference(key_id="cam-1"))
            r = stub.Initiate(req, timeout=10)
            counts["Initiate OK"] = 1
            expect_eq(r.key.key_id, "cam-1", "key used")
            assert r.streams, r
            for i, s in enumerate(r.streams):
                SECRETS["initiate master key %d" % i] = s.master_key
                SECRETS["initiate master salt %d" % i] = s.master_salt
            resp = stub.Respond(broker_pb2.RespondRequest(
                input=broker_pb2.MikeyInput(message=r.i_message),
                key=broker_pb2.KeyReference(key_id="cam-1")), timeout=10)
            expect_eq([(s.master_key, s.master_salt) for s in resp.streams],
                      [(s.master_key, s.master_salt) for s in r.streams],
                      "Respond's keys")
            master_key, master_salt = os.urandom(16), os.urandom(14)
            SECRETS["derive master key"] = master_key
            SECRETS["derive master salt"] = master_salt
            d = stub.DeriveSessionKeys(broker_pb2.DeriveSessionKeysRequest(
                suite="AES_CM_128_HMAC_SHA1_80", master_key=master_key,
                master_salt=master_salt), timeout=10)
            for ctx, keys in (("srtp", d.srtp), ("srtcp", d.srtcp)):
                SECRETS[ctx + " encryption key"] = keys.encryption_key
                SECRETS[ctx + " authentication key"] = keys.authentication_key
                SECRETS[ctx + " salt"] = keys.salt
            # Inline keys are refused by this configuration: the key sent
            # must still not be logged.
            inline = os.urandom(32)
            SECRETS["refused inline key"] = inline
            expect_code(lambda: stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PSK, suite="AES_CM_128_HMAC_SHA1_80",
                key=broker_pb2.KeyReference(inline_key=inline)), timeout=10),
                grpc.StatusCode.INVALID_ARGUMENT, "inline key")

        def policy_denies_key_id():
            req = broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PSK, suite="AES_CM_128_HMAC_SHA1_80",
                key=broker_pb2.KeyReference(key_id="studio-1"))
            e = expect_code(lambda: stub.Initiate(req, timeout=10),
                            grpc.StatusCode.PERMISSION_DENIED, "studio key")
            counts["Initiate PERMISSION_DENIED"] = 1
            assert "studio-1" in e.details() and "Initiate" in e.details(), \
                e.details()
            assert "cam-*" not in e.details(), e.details()
            denied = [l for l in audit_lines(files["audit"])
                      if l["event"] == "denied"]
            assert any(l["caller"] == CAM and l["key_id"] == "studio-1" and
                       l["rpc"] == "Initiate" for l in denied), denied
            # The monitor may Decode only.
            ch = channel(port, ca.pem, clients["monitor"])
            req.key.key_id = "cam-1"
            expect_code(lambda: broker_pb2_grpc.KeyBrokerStub(ch).Initiate(
                req, timeout=10), grpc.StatusCode.PERMISSION_DENIED,
                "monitor Initiate")
            counts["Initiate PERMISSION_DENIED"] += 1
            ch.close()

        def audit_line_shape():
            lines = audit_lines(files["audit"])
            calls = [l for l in lines if l["event"] == "call"]
            assert calls, lines
            fields = ["time", "event", "rpc", "caller", "authenticated",
                      "mode", "key_id", "key_version", "csb_id", "streams",
                      "code", "message", "latency_ms"]
            for l in calls:
                expect_eq(list(l.keys()), fields, "call line fields")
            ok = [l for l in calls if l["rpc"] == "Decode" and
                  l["code"] == "OK"]
            expect_eq(len(ok), counts["Decode OK"], "Decode OK lines")
            bad = [l for l in calls if l["code"] == "INVALID_ARGUMENT"]
            assert bad and "version" in bad[0]["message"], bad
            init = [l for l in calls if l["rpc"] == "Initiate" and
                    l["code"] == "OK"]
            expect_eq((init[0]["key_id"], init[0]["key_version"],
                       init[0]["mode"], init[0]["streams"]),
                      ("cam-1", 1, "PSK", 1), "Initiate line")
            assert init[0]["csb_id"] is not None, init[0]

        def metrics_scrape():
            status, ctype, body = e2e_util.http_get(server.metrics_port,
                                                    "/metrics")
            expect_eq(status, 200, "status")
            assert ctype.startswith("text/plain; version=0.0.4"), ctype
            m = e2e_util.parse_prometheus(body)
            req = "mikeyd_requests_total"
            expect_eq(e2e_util.sample(m, req, method="Decode", code="OK"),
                      counts["Decode OK"], "Decode OK")
            expect_eq(e2e_util.sample(m, req, method="Decode",
                                      code="INVALID_ARGUMENT"),
                      counts["Decode INVALID_ARGUMENT"], "Decode bad")
            expect_eq(e2e_util.sample(m, req, method="Decode",
                                      code="PERMISSION_DENIED"),
                      1, "Decode denied")
            denied = 1 + counts["Initiate PERMISSION_DENIED"]
            expect_eq(e2e_util.sample(m, req, method="Initiate", code="OK"),
                      1, "Initiate OK")
            expect_eq(e2e_util.sample(m, req, method="Initiate",
                                      code="PERMISSION_DENIED"),
                      2, "Initiate denied")
            expect_eq(e2e_util.sample(m, req, method="DeriveSessionKeys",
                                      code="OK"), 1, "Derive OK")
            expect_eq(e2e_util.sample(m, "mikeyd_keystore_keys"), 3, "keys")
            expect_eq(e2e_util.sample(m, "mikeyd_keystore_key_versions"), 3,
                      "versions")
            expect_eq(e2e_util.sample(m, "mikeyd_auth_failures_total",
                                      reason="permission_denied"),
                      denied, "auth failures")
            total = counts["Decode OK"] + counts["Decode INVALID_ARGUMENT"] + 1
            expect_eq(e2e_util.sample(m,
                                      "mikeyd_request_duration_seconds_count",
                                      method="Decode"), total, "histogram")
            expect_eq(e2e_util.sample(m,
                                      "mikeyd_request_duration_seconds_bucket",
                                      method="Decode", le="+Inf"), total,
                      "+Inf bucket")
            expect_eq(e2e_util.sample(m, "mikeyd_serving"), 1, "serving")
            # Off unless metrics.heap_stats: each read walks glibc's free
            # lists under the arena locks.
            expect_eq(("mikeyd_heap_in_use_bytes", frozenset()) in m, False,
                      "heap gauge without metrics.heap_stats")
            expect_eq(e2e_util.sample(m, "mikeyd_audit_write_failures_total"),
                      0, "audit failures")
            # Refused handshakes never become calls; gRPC's log shows them.
            for reason in ("no_client_certificate", "untrusted_certificate",
                           "not_tls"):
                n = e2e_util.sample(m, "mikeyd_tls_handshake_failures_total",
                                    reason=reason)
                assert n >= 1, (reason, n)
            status, _, body = e2e_util.http_get(server.metrics_port, "/healthz")
            expect_eq((status, body), (200, "serving\n"), "healthz")
            status, _, _ = e2e_util.http_get(server.metrics_port, "/nope")
            expect_eq(status, 404, "unknown path")
            status, _, _ = e2e_util.http_get(server.metrics_port, "/metrics",
                                             method="POST")
            expect_eq(status, 405, "POST")

        def keystore_reload_metrics():
            keys = os.path.join(DIR, "keys")
            secret = os.urandom(32)
            SECRETS["keystore cam-1 v2"] = secret
            e2e_util.write(os.path.join(keys, "cam-1.v2"), secret.hex())

            def wait_for(what, predicate):
                deadline = time.time() + 15
                while time.time() < deadline:
                    m = e2e_util.parse_prometheus(e2e_util.http_get(
                        server.metrics_port, "/metrics")[2])
                    if predicate(m):
                        return m
                    time.sleep(0.2)
                raise AssertionError("metrics never showed " + what)

            wait_for("the new version", lambda m: (
                e2e_util.sample(m, "mikeyd_keystore_key_versions") == 4 and
                e2e_util.sample(m, "mikeyd_keystore_reloads_total",
                                outcome="ok") >= 1))
            bad = e2e_util.write(os.path.join(keys, "not a key file"), "x")
            try:
                m = wait_for("a failed reload", lambda m: e2e_util.sample(
                    m, "mikeyd_keystore_reloads_total", outcome="error") >= 1)
                # The keys in force stay.
                expect_eq(e2e_util.sample(m, "mikeyd_keystore_keys"), 3, "keys")
            finally:
                os.unlink(bad)
            r = stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PSK, suite="AES_CM_128_HMAC_SHA1_80",
                key=broker_pb2.KeyReference(key_id="cam-1")), timeout=10)
            expect_eq((r.key.key_id, r.key.version), ("cam-1", 2), "newest")
            for i, s in enumerate(r.streams):
                SECRETS["reloaded master key %d" % i] = s.master_key

        check("banner names the file, TLS, policy and audit log", banner)
        check("mTLS client with a certificate of the CA: Decode OK",
              mtls_call_ok)
        check("mTLS bad input: INVALID_ARGUMENT", mtls_bad_input)
        check("no client certificate: refused (UNAVAILABLE)",
              no_client_certificate_refused)
        check("client certificate of another CA: refused (UNAVAILABLE)",
              wrong_ca_refused)
        check("plaintext client on the TLS port: refused",
              plaintext_client_refused)
        check("client verifies the server certificate (DNS and IP SANs)",
              server_certificate_checked_by_client)
        check("identity from URI SAN / CN in the audit log",
              identities_in_audit_log)
        check("policy denies an RPC: PERMISSION_DENIED, audited",
              policy_denies_rpc)
        check("exchange RPCs with an allowed key id", exchange_rpcs)
        check("policy denies a key id: PERMISSION_DENIED, audited",
              policy_denies_key_id)
        check("audit lines: fields, one per call", audit_line_shape)
        check("metrics endpoint: counts by method and code, /healthz",
              metrics_scrape)
        check("keystore reloads counted; a bad reload keeps the keys",
              keystore_reload_metrics)
        cam.close()
    finally:
        def sigterm_exits_zero():
            code = server.terminate()
            expect_eq(code, 0, "exit status; stderr: " + server.stderr())
            assert "SIGTERM" in server.stderr()

        check("SIGTERM -> exit 0", sigterm_exits_zero)

    # --- draining: a stream of calls, SIGTERM in the middle ---

    def sigterm_loses_no_accepted_call():
        audit = os.path.join(DIR, "drain-audit.jsonl")
        if os.path.exists(audit):
            os.unlink(audit)
        d = e2e_util.Mikeyd(FLAGS.mikeyd, ["--config=" + files["config"],
                                           "--audit_log=" + audit],
                            os.path.join(DIR, "drain.stderr"),
                            expect_metrics=True)
        outcomes = {}
        lock = threading.Lock()
        stop = threading.Event()
        signalled = threading.Event()

        def worker():
            ch = channel(d.port, ca.pem, clients["cam"])
            s = broker_pb2_grpc.KeyBrokerStub(ch)
            after = 0
            while not stop.is_set():
                try:
                    s.Decode(decode_request(), timeout=10)
                    code = "OK"
                except grpc.RpcError as e:
                    code = e.code().name
                with lock:
                    outcomes[code] = outcomes.get(code, 0) + 1
                if signalled.is_set():
                    after += 1
                    if code == "UNAVAILABLE" and after > 3:
                        break
            ch.close()

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        d.proc.send_signal(signal.SIGTERM)
        signalled.set()
        try:
            # Draining (shutdown_drain 1s): NOT_SERVING on /healthz and on
            # the gRPC health service, while the port is still open.
            time.sleep(0.2)
            drain_health = e2e_util.http_get(d.metrics_port, "/healthz")
            ch = channel(d.port, ca.pem, clients["cam"])
            health_check = ch.unary_unary(
                "/grpc.health.v1.Health/Check",
                request_serializer=lambda b: b,
                response_deserializer=lambda b: b)
            # HealthCheckResponse{status=NOT_SERVING(2)}: 08 02.
            grpc_health = health_check(b"", timeout=5)
            ch.close()
            code = d.proc.wait(timeout=30)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=30)
            d.kill()
        expect_eq(code, 0, "exit status")
        expect_eq(drain_health[0], 503, "/healthz while draining")
        expect_eq(grpc_health, b"\x08\x02", "gRPC health while draining")
        print("drain outcomes: %r" % outcomes, flush=True)
        assert set(outcomes) <= {"OK", "UNAVAILABLE"}, outcomes
        assert outcomes.get("OK", 0) > 50, outcomes
        # Every call the server accepted was answered: its OK count equals
        # the client's; the rest were refused (UNAVAILABLE) without running.
        served = [l for l in audit_lines(audit) if l["event"] == "call"]
        by_code = {}
        for l in served:
            by_code[l["code"]] = by_code.get(l["code"], 0) + 1
        expect_eq(by_code.get("OK", 0), outcomes.get("OK", 0), "calls served")
        assert set(by_code) <= {"OK", "UNAVAILABLE"}, by_code
        assert by_code.get("UNAVAILABLE", 0) <= outcomes["UNAVAILABLE"], \
            (by_code, outcomes)

    check("SIGTERM during a stream of calls loses no accepted call",
          sigterm_loses_no_accepted_call)

    # --- the plaintext health-only port (health.listen) ---

    def health_check(port, service=b""):
        """grpc.health.v1.Health/Check over plaintext; the raw response."""
        ch = grpc.insecure_channel("127.0.0.1:%d" % port)
        try:
            check_call = ch.unary_unary("/grpc.health.v1.Health/Check",
                                        request_serializer=lambda b: b,
                                        response_deserializer=lambda b: b)
            # HealthCheckRequest{service}: field 1, length-delimited.
            req = (b"\x0a" + bytes([len(service)]) + service) if service \
                else b""
            return check_call(req, timeout=5)
        finally:
            ch.close()

    def health_port_plaintext_health_only():
        # From the configuration file, beside TLS on the main port.
        path = e2e_util.write(os.path.join(DIR, "health.json"),
                              with_change(health={"listen": "127.0.0.1:0"}))
        d = e2e_util.Mikeyd(FLAGS.mikeyd, ["--config=" + path],
                            os.path.join(DIR, "health.stderr"),
                            expect_metrics=True, expect_health=True)
        try:
            assert d.health_port not in (None, d.port, d.metrics_port), \
                (d.health_port, d.port, d.metrics_port)
            assert "health port: 127.0.0.1:0 (plaintext gRPC" in d.stderr(), \
                d.stderr()
            # HealthCheckResponse{status=SERVING(1)}: 08 01, for the server
            # and for the KeyBroker service, in plaintext.
            expect_eq(health_check(d.health_port), b"\x08\x01", "health ''")
            expect_eq(health_check(d.health_port,
                                   b"mikey.broker.v1.KeyBroker"),
                      b"\x08\x01", "health KeyBroker")
            expect_code(lambda: health_check(d.health_port, b"no.Such"),
                        grpc.StatusCode.NOT_FOUND, "health of an unknown "
                        "service")
            # No KeyBroker method (nor reflection) on it.
            ch = grpc.insecure_channel("127.0.0.1:%d" % d.health_port)
            expect_code(lambda: broker_pb2_grpc.KeyBrokerStub(ch).Decode(
                decode_request(), timeout=5), grpc.StatusCode.UNIMPLEMENTED,
                "Decode on the health port")
            expect_code(lambda: broker_pb2_grpc.KeyBrokerStub(ch).Initiate(
                broker_pb2.InitiateRequest(), timeout=5),
                grpc.StatusCode.UNIMPLEMENTED, "Initiate on the health port")
            reflection = ch.stream_stream(
                "/grpc.reflection.v1alpha.ServerReflection/"
                "ServerReflectionInfo",
                request_serializer=lambda b: b,
                response_deserializer=lambda b: b)
            # ServerReflectionRequest{list_services: ""}: field 7.
            expect_code(lambda: list(reflection(iter([b"\x3a\x00"]),
                                                timeout=5)),
                        grpc.StatusCode.UNIMPLEMENTED,
                        "reflection on the health port")
            ch.close()
            # The main port still needs TLS (a plaintext health check fails).
            expect_code(lambda: health_check(d.port),
                        grpc.StatusCode.UNAVAILABLE,
                        "plaintext health on the TLS port")
            # Draining mirrors the main server: NOT_SERVING (08 02) while
            # the port is still open, then both close and mikeyd exits 0.
            d.proc.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            expect_eq(health_check(d.health_port), b"\x08\x02",
                      "health port while draining")
            expect_eq(health_check(d.health_port,
                                   b"mikey.broker.v1.KeyBroker"),
                      b"\x08\x02", "health KeyBroker while draining")
            code = d.proc.wait(timeout=30)
            expect_eq(code, 0, "exit status; stderr: " + d.stderr())
            expect_code(lambda: health_check(d.health_port),
                        grpc.StatusCode.UNAVAILABLE, "health port after exit")
        finally:
            d.kill()

    def health_port_flag_and_errors():
        # --health_listen overrides the file and is named in errors.
        path = e2e_util.write(os.path.join(DIR, "good.json"), with_change())
        rc, out, err = e2e_util.run([FLAGS.mikeyd, "--config=" + path,
                                     "--health_listen=8081"])
        expect_eq(rc, 2, "exit status: " + err)
        expect_eq(out, "", "stdout")
        assert "--health_listen: " in err, err
        bad_config(with_change(health={"listen": "127.0.0.1:1",
                                       "port": 1}), "FILE:", "port")
        bad_config(with_change(listen="127.0.0.1:50999",
                               health={"listen": "127.0.0.1:50999"}),
                   "FILE: health.listen: same address as listen")
        # A port in use: an environment problem, exit 1, nothing listening.
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        try:
            rc, out, err = e2e_util.run(
                [FLAGS.mikeyd, "--config=" + path,
                 "--health_listen=127.0.0.1:%d" % busy.getsockname()[1]])
        finally:
            busy.close()
        expect_eq(rc, 1, "exit status (health port in use): " + err)
        expect_eq(out, "", "stdout")
        assert "--health_listen: cannot listen on" in err, err
        d = e2e_util.Mikeyd(FLAGS.mikeyd, ["--config=" + path,
                                           "--health_listen=127.0.0.1:0"],
                            os.path.join(DIR, "health-flag.stderr"),
                            expect_metrics=True, expect_health=True)
        try:
            expect_eq(health_check(d.health_port), b"\x08\x01", "health")
            expect_eq(d.terminate(), 0, "exit status")
        finally:
            d.kill()

    check("health port: plaintext SERVING, no KeyBroker method (UNIMPLEMENTED)"
          ", NOT_SERVING while draining", health_port_plaintext_health_only)
    check("health port: --health_listen flag, address checked at start",
          health_port_flag_and_errors)

    # --- no key material in any log ---

    def no_key_material_in_logs():
        texts = {}
        for name in ("audit.jsonl", "drain-audit.jsonl", "mikeyd.stderr",
                     "drain.stderr"):
            with open(os.path.join(DIR, name), errors="replace") as f:
                texts[name] = f.read()
        texts["stdout"] = "\n".join(server.stdout_lines)
        assert texts["audit.jsonl"], "empty audit log"
        for name, text in texts.items():
            found = e2e_util.find_secrets(text, SECRETS)
            assert not found, "%s contains %s" % (name, found)

    check("no key material (hex or base64) in audit logs or stderr",
          no_key_material_in_logs)

    return CASES.finish()


if __name__ == "__main__":
    sys.exit(main())
