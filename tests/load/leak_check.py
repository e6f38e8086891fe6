"""Leak check of a long mikeyd run: mikeyd built with --config=asan (gcc
ASan + UBSan with LeakSanitizer) under every kind of call for a few
minutes, then SIGTERM; LeakSanitizer reports at exit. Not a CI test.

  bazel build --config=asan //service:mikeyd
  bazel build //tests/load:loadgen //proto/mikey/broker/v1:broker_cc_proto_py
  /usr/bin/python3 tests/load/leak_check.py [--seconds=30]
      [--mikeyd=bazel-out/k8-dbg-asan/bin/service/mikeyd]
      [--out=/tmp/lsan-result.txt] [--positive_control]

mikeyd runs (copied first, so rebuilds by others do not matter) with a
keystore directory reloaded every second, a state key, the audit log in a
file, the metrics endpoint and the plaintext health port, under
ASAN_OPTIONS=detect_leaks=1. The load, in phases of --seconds each:

- loadgen closed loop (16 in flight) over health, decode, initiate,
  respond and derive, one after the other;
- all along, Python clients: PSK exchanges with the V flag (Initiate,
  Respond, Complete); replays (FAILED_PRECONDITION with a MIKEY error in
  the details); bad input (garbage and truncated messages, bad base64,
  non-protobuf bytes, bad state tokens, unknown keys, 100000 streams, 2 MiB
  requests); calls cancelled by the client and calls whose deadline passes;
- raw TCP clients: garbage instead of the HTTP/2 preface, half requests
  left hanging, requests cut off mid-message by closing the connection or by
  RST_STREAM;
- scrapes of /metrics and /healthz, checks on the health port;
- keystore changes: a new psk version, a key added and removed, a bad file
  (the reload fails and the old keys stay) removed again.

Then SIGTERM, with a few stalled half-requests still open. The result file
holds the loadgen summaries, the Python tallies, mikeyd's exit status and
every sanitizer report (leaks with their stacks, each marked as in mikeyd's
own code or only in libraries), or "no leaks".
"""

import argparse
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import http.client

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
parser = argparse.ArgumentParser()
parser.add_argument("--mikeyd", default=os.path.join(
    ROOT, "bazel-out/k8-dbg-asan/bin/service/mikeyd"))
parser.add_argument("--loadgen", default=os.path.join(
    ROOT, "bazel-bin/tests/load/loadgen"))
parser.add_argument("--pythonpath", default=os.path.join(
    ROOT, "bazel-bin/proto/mikey/broker/v1/broker_cc_proto_codegen"))
parser.add_argument("--seconds", type=int, default=30)
parser.add_argument("--out", default="/tmp/lsan-result.txt")
parser.add_argument("--positive_control", action="store_true",
                    help="preload a library that leaks 99 octets at start, "
                    "to show that LeakSanitizer does report from mikeyd")
FLAGS = parser.parse_args()
sys.path.insert(0, FLAGS.pythonpath)

import grpc  # noqa: E402
from mikey.broker.v1 import broker_pb2  # noqa: E402
from mikey.broker.v1 import broker_pb2_grpc  # noqa: E402

TMP = tempfile.mkdtemp(prefix="leak_check.")
SUITE = "AES_CM_128_HMAC_SHA1_80"
OUT = open(FLAGS.out, "w")


def log(*args):
    text = " ".join(str(a) for a in args)
    print(text, flush=True)
    OUT.write(text + "\n")
    OUT.flush()


def write_key(keystore, name, text):
    staging = os.path.join(TMP, "staging")
    with open(staging, "w") as f:
        f.write(text)
    os.rename(staging, os.path.join(keystore, name))


def read_line(proc, prefix, seconds=60):
    deadline = time.monotonic() + seconds
    line = b""
    while not line.endswith(b"\n"):
        if time.monotonic() > deadline or proc.poll() is not None:
            raise SystemExit("mikeyd did not start: %r" % line)
        ready, _, _ = select.select([proc.stdout], [], [], 1)
        if ready:
            line += os.read(proc.stdout.fileno(), 1)
    text = line.decode().strip()
    assert text.startswith(prefix), text
    return int(text.rsplit(":", 1)[1])


# --- raw HTTP/2 -------------------------------------------------------------

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(ftype, flags, stream, payload=b""):
    return (len(payload).to_bytes(3, "big") + bytes([ftype, flags]) +
            stream.to_bytes(4, "big") + payload)


def lit(name, value):
    name, value = name.encode(), value.encode()
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def headers(port, method, stream=1):
    block = (b"\x83\x86" + lit(":path", "/mikey.broker.v1.KeyBroker/" + method)
             + lit(":authority", "127.0.0.1:%d" % port)
             + lit("content-type", "application/grpc") + lit("te", "trailers"))
    return frame(1, 0x4, stream, block)


def half_request(port, method="Initiate"):
    return (PREFACE + frame(4, 0, 0) + headers(port, method) +
            frame(0, 0, 1, b"\x00" + (1000).to_bytes(4, "big") + b"\x0a" * 10))


# --- the run ----------------------------------------------------------------

def main():
    binary = os.path.join(TMP, "mikeyd")
    shutil.copy(FLAGS.mikeyd, binary)
    keystore = os.path.join(TMP, "keys")
    os.mkdir(keystore)
    write_key(keystore, "psk.v1", os.urandom(32).hex())
    write_key(keystore, "state-key.v1", os.urandom(32).hex())
    write_key(keystore, "other.v1", os.urandom(16).hex())
    config = os.path.join(TMP, "mikeyd.json")
    with open(config, "w") as f:
        json.dump({"plaintext_loopback_ok": True,
                   "keystore": {"dir": keystore, "reload_interval": "1s"},
                   "state": {"key_id": "state-key", "ttl": "60s"},
                   "shutdown_drain": "1s", "shutdown_grace": "2s"}, f)
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=1:malloc_context_size=40"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1"
    if FLAGS.positive_control:
        src = os.path.join(TMP, "leaky.c")
        with open(src, "w") as f:
            f.write("#include <stdlib.h>\nvoid* volatile q;\n"
                    "__attribute__((constructor)) static void leak_once(void)"
                    " { q = malloc(99); q = 0; }\n")
        subprocess.run(["gcc", "-shared", "-fPIC", "-g", src, "-o",
                        os.path.join(TMP, "leaky.so")], check=True)
        libasan = re.search(r"(\S*libasan\.so\S*) =>\s*(\S+)", subprocess.run(
            ["ldd", binary], stdout=subprocess.PIPE).stdout.decode())
        env["LD_PRELOAD"] = libasan.group(2) + ":" + os.path.join(
            TMP, "leaky.so")
    stderr_path = os.path.join(TMP, "mikeyd.stderr")
    proc = subprocess.Popen(
        [binary, "--config=" + config, "--listen=127.0.0.1:0",
         "--metrics_listen=127.0.0.1:0", "--health_listen=127.0.0.1:0",
         "--audit_log=" + os.path.join(TMP, "audit.jsonl")],
        stdout=subprocess.PIPE, stderr=open(stderr_path, "wb"), env=env)
    port = read_line(proc, "mikeyd listening on ")
    metrics_port = read_line(proc, "mikeyd metrics on ")
    health_port = read_line(proc, "mikeyd health on ")
    target = "127.0.0.1:%d" % port
    log("# leak check %s: %s (sha256 %s), pid %d on %s" % (
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), FLAGS.mikeyd,
        subprocess.run(["sha256sum", binary], stdout=subprocess.PIPE)
        .stdout.decode()[:16], proc.pid, target))
    log("# ASAN_OPTIONS=%s; %d s per loadgen phase%s" % (
        env["ASAN_OPTIONS"], FLAGS.seconds,
        "; POSITIVE CONTROL: a preloaded library leaks 99 octets"
        if FLAGS.positive_control else ""))

    stop = threading.Event()
    tally = {}
    lock = threading.Lock()

    def count(what):
        with lock:
            tally[what] = tally.get(what, 0) + 1

    def code_of(fn):
        try:
            fn()
            return "OK"
        except grpc.RpcError as e:
            return e.code().name

    def python_clients(n):
        rng = random.Random(n)
        ch = grpc.insecure_channel(
            target, options=[("grpc.max_send_message_length", 8 << 20)])
        stub = broker_pb2_grpc.KeyBrokerStub(ch)
        key = broker_pb2.KeyReference(key_id="psk")
        raw = ch.unary_unary("/mikey.broker.v1.KeyBroker/Decode",
                             request_serializer=lambda b: b,
                             response_deserializer=lambda b: b)
        while not stop.is_set():
            try:
                init = stub.Initiate(broker_pb2.InitiateRequest(
                    mode=broker_pb2.MODE_PSK, suite=SUITE, v_flag=True,
                    key=key, streams=[broker_pb2.StreamSpec(ssrc=7)]),
                    timeout=20)
                req = broker_pb2.RespondRequest(
                    input=broker_pb2.MikeyInput(message=init.i_message),
                    key=key)
                resp = stub.Respond(req, timeout=20)
                stub.Complete(broker_pb2.CompleteRequest(
                    state=init.state,
                    input=broker_pb2.MikeyInput(message=resp.r_message)),
                    timeout=20)
                count("exchange with V: OK")
                count("replay: " + code_of(lambda: stub.Respond(
                    req, timeout=20)))
                m = bytearray(init.i_message)
                cut = bytes(m[:rng.randrange(len(m))])
                count("truncated Decode: " + code_of(lambda: stub.Decode(
                    broker_pb2.DecodeRequest(
                        input=broker_pb2.MikeyInput(message=cut)),
                    timeout=20)))
                m[rng.randrange(len(m))] ^= 1 << rng.randrange(8)
                count("bit-flipped Respond: " + code_of(
                    lambda: stub.Respond(broker_pb2.RespondRequest(
                        input=broker_pb2.MikeyInput(message=bytes(m)),
                        key=key), timeout=20)))
                junk = os.urandom(rng.randrange(1, 300))
                count("garbage Decode: " + code_of(lambda: stub.Decode(
                    broker_pb2.DecodeRequest(
                        input=broker_pb2.MikeyInput(message=junk)),
                    timeout=20)))
                count("bad base64: " + code_of(lambda: stub.Decode(
                    broker_pb2.DecodeRequest(input=broker_pb2.MikeyInput(
                        text="a=key-mgmt:mikey !!" + junk.hex())),
                    timeout=20)))
                count("non-protobuf: " + code_of(lambda: raw(
                    b"\x0a\xff\xff\xff\xff\x0f", timeout=20)))
                count("bad state: " + code_of(lambda: stub.Complete(
                    broker_pb2.CompleteRequest(
                        state=os.urandom(80),
                        input=broker_pb2.MikeyInput(message=resp.r_message)),
                    timeout=20)))
                count("unknown key: " + code_of(lambda: stub.Initiate(
                    broker_pb2.InitiateRequest(
                        mode=broker_pb2.MODE_PSK, suite=SUITE,
                        key=broker_pb2.KeyReference(key_id="nope")),
                    timeout=20)))
                count("derive: " + code_of(lambda: stub.DeriveSessionKeys(
                    broker_pb2.DeriveSessionKeysRequest(
                        suite=SUITE, master_key=os.urandom(16),
                        master_salt=os.urandom(14)), timeout=20)))
                if rng.random() < 0.05:
                    count("100000 streams: " + code_of(
                        lambda: stub.Initiate(broker_pb2.InitiateRequest(
                            mode=broker_pb2.MODE_PSK_NULL, suite=SUITE,
                            streams=[broker_pb2.StreamSpec(ssrc=i + 1)
                                     for i in range(100000)]), timeout=60)))
                    count("2 MiB: " + code_of(lambda: stub.Decode(
                        broker_pb2.DecodeRequest(input=broker_pb2.MikeyInput(
                            message=b"\x01" * (2 << 20))), timeout=60)))
                # Cancelled by the client, and past their deadline.
                fut = stub.Initiate.future(broker_pb2.InitiateRequest(
                    mode=broker_pb2.MODE_PSK, suite=SUITE, key=key),
                    timeout=20)
                fut.cancel()
                count("cancelled")
                count("tiny deadline: " + code_of(lambda: stub.Respond(
                    req, timeout=0.0005)))
            except grpc.RpcError as e:
                count("unexpected %s: %s" % (e.code().name, e.details()[:80]))
        ch.close()

    def raw_clients():
        rng = random.Random(9)
        while not stop.is_set():
            try:
                kind = rng.randrange(4)
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                if kind == 0:
                    s.sendall(os.urandom(64))
                    count("raw: garbage preface")
                elif kind == 1:
                    s.sendall(half_request(port))
                    time.sleep(0.2)
                    count("raw: half request, connection closed")
                elif kind == 2:
                    s.sendall(half_request(port, "Respond") +
                              frame(3, 0, 1, (8).to_bytes(4, "big")))
                    time.sleep(0.1)
                    count("raw: half request, RST_STREAM")
                else:
                    s.sendall(PREFACE + frame(4, 0, 0) +
                              frame(7, 0, 0, bytes(8)))  # GOAWAY
                    count("raw: GOAWAY")
                s.close()
            except OSError as e:
                count("raw: " + type(e).__name__)
            time.sleep(0.05)

    def http_clients():
        while not stop.is_set():
            for path in ("/metrics", "/healthz", "/nope"):
                try:
                    c = http.client.HTTPConnection("127.0.0.1", metrics_port,
                                                   timeout=10)
                    c.request("GET", path)
                    count("http %s: %d" % (path, c.getresponse().status))
                    c.close()
                except OSError as e:
                    count("http: " + type(e).__name__)
            hc = grpc.insecure_channel("127.0.0.1:%d" % health_port)
            count("health port: " + code_of(lambda: hc.unary_unary(
                "/grpc.health.v1.Health/Check",
                request_serializer=lambda b: b,
                response_deserializer=lambda b: b)(b"", timeout=10)))
            hc.close()
            time.sleep(0.5)

    def keystore_changes():
        steps = [
            lambda: write_key(keystore, "psk.v2", os.urandom(32).hex()),
            lambda: write_key(keystore, "extra.v1", os.urandom(32).hex()),
            lambda: write_key(keystore, "bad.v1", "not hex"),
            lambda: os.unlink(os.path.join(keystore, "bad.v1")),
            lambda: os.unlink(os.path.join(keystore, "extra.v1")),
            lambda: os.unlink(os.path.join(keystore, "other.v1")),
            lambda: write_key(keystore, "psk.v3", os.urandom(32).hex()),
        ]
        for step in steps:
            if stop.wait(FLAGS.seconds / 2):
                return
            step()
            count("keystore change")

    threads = ([threading.Thread(target=python_clients, args=(n,))
                for n in range(3)] +
               [threading.Thread(target=raw_clients),
                threading.Thread(target=http_clients),
                threading.Thread(target=keystore_changes)])
    for t in threads:
        t.start()
    t0 = time.monotonic()
    for rpc in ("health", "decode", "initiate", "respond", "derive"):
        p = subprocess.run(
            [FLAGS.loadgen, "--target=" + target, "--rpc=" + rpc,
             "--key_id=psk", "--duration=%ds" % FLAGS.seconds,
             "--concurrency=16", "--timeout=30s", "--mikeyd_pid=%d" % proc.pid,
             "--label=leak check"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out = p.stdout.decode().strip().splitlines()
        log("\n## loadgen %s (exit %d)" % (rpc, p.returncode))
        for line in out[:-1]:
            log(line)
        if p.returncode:
            log(p.stderr.decode())
    stop.set()
    for t in threads:
        t.join(timeout=120)
    log("\n## Python and raw clients over %.0f s (outcome: count)" %
        (time.monotonic() - t0))
    for k in sorted(tally):
        log("  %-50s %d" % (k, tally[k]))
    with open("/proc/%d/status" % proc.pid) as f:
        status = dict(line.split(":", 1) for line in f)
    log("\n## mikeyd before SIGTERM: VmRSS %s, VmHWM %s, threads %s, fds %d"
        % (status["VmRSS"].strip(), status["VmHWM"].strip(),
           status["Threads"].strip(), len(os.listdir("/proc/%d/fd" %
                                                      proc.pid))))
    # Shutdown with calls hanging half-received.
    hanging = []
    for _ in range(5):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(half_request(port))
        hanging.append(s)
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGTERM)
    try:
        code = proc.wait(timeout=300)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        code = proc.wait()
        log("mikeyd did not exit within 300 s of SIGTERM: killed")
    for s in hanging:
        s.close()
    log("## mikeyd exit status %d (0: clean; 1 with a LeakSanitizer report: "
        "leaks)" % code)
    with open(stderr_path, errors="replace") as f:
        text = f.read()
    report_start = min([i for i in (text.find("=================="),
                                    text.find("runtime error")) if i >= 0],
                       default=-1)
    if report_start < 0:
        log("## sanitizers: no report (no leaks, no errors)")
    else:
        log("## sanitizer report:")
        log(text[report_start:])
        # Which leaks involve mikeyd's own code.
        for block in re.split(r"\n(?=(?:Direct|Indirect) leak of )", text):
            if not re.match(r"(Direct|Indirect) leak of", block):
                continue
            ours = re.search(r"(mikey::|/core/|/service/|\bcore/|\bservice/)",
                             block)
            where = ("mikeyd's code in the stack" if ours
                     else "no mikeyd code in the stack (libraries)")
            log("## %s: %s" % (block.splitlines()[0], where))
    log("\n## mikeyd stderr other than the report (first 40 lines):")
    for line in text[:report_start if report_start >= 0 else None] \
            .splitlines()[:40]:
        log("  " + line)
    shutil.rmtree(TMP, ignore_errors=True)
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
