"""Fault test: one mikeyd keeps serving well-behaved clients while others
misbehave or the keystore changes under it.

Starts, on loopback and a free port, as the test user, under $TEST_TMPDIR,
one mikeyd with a keystore directory (reloaded every second), an audit log
file and a metrics endpoint, after raising RLIMIT_NOFILE to its hard limit
(mikeyd inherits it). Cases, each recording mikeyd's VmRSS and open file
descriptors before and after:

- stallers: 50 raw TCP clients stall mid-handshake or mid-request (half of
  the HTTP/2 preface; the preface and part of a frame header; the preface,
  SETTINGS, a gRPC HEADERS frame and a DATA frame whose gRPC length prefix
  promises 1000 octets of which 10 are sent). Meanwhile loadgen (Initiate,
  then Respond, open loop) and Python clients (PSK Initiate + Respond) see
  no errors and a bounded p99; a client sending garbage instead of the
  preface is disconnected;
- idle connections: 2000 TCP connections (a quarter of them complete the
  HTTP/2 handshake, SETTINGS both ways, then idle); health and PSK calls
  still succeed, none of them is dropped; after they close, mikeyd's fd
  count returns to where it was. VmRSS does not: glibc keeps the freed
  memory in its arenas (about 30 MiB for 2000 connections; malloc_trim(0)
  in the process gives most of it back). So the check is that four more
  rounds of 2000 connections leave the allocator's live heap
  (mikeyd_heap_in_use_bytes) where round 1 left it;
- keystore reload under load: while loadgen runs Initiate against key
  "psk", a new version psk.v2 appears and other keys come and go; no call
  fails, I_MESSAGEs made with v1 before the rotation still verify, and after
  the reload Initiate uses v2 (response field key.version and the audit
  log's key_version);
- oversized requests: 2 MiB Decode and Respond requests get
  RESOURCE_EXHAUSTED while concurrent normal calls succeed
  (tests/e2e/bad_input_e2e_test.py checks the limit alone, without
  concurrent load);
- mikeyd still serves, then exits 0 on SIGTERM.

Stops everything it started, by PID. Ends with "N passed, N failed".
"""

import argparse
import errno
import json
import os
import resource
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("--mikeyd", required=True)
parser.add_argument("--loadgen", required=True)
parser.add_argument("--pythonpath", required=True)
parser.add_argument("--casetest", required=True)
parser.add_argument("--e2e_util", required=True)
FLAGS = parser.parse_args()
sys.path.insert(0, FLAGS.pythonpath)
sys.path.insert(0, os.path.dirname(FLAGS.casetest))
sys.path.insert(0, os.path.dirname(FLAGS.e2e_util))

import grpc  # noqa: E402
from mikey.broker.v1 import broker_pb2  # noqa: E402
from mikey.broker.v1 import broker_pb2_grpc  # noqa: E402
import casetest  # noqa: E402
import e2e_util  # noqa: E402
from e2e_util import expect_eq  # noqa: E402

CASES = casetest.Cases("faults")
check = CASES.check

TMP = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
SUITE = "AES_CM_128_HMAC_SHA1_80"
PSK_V1 = bytes(range(0x10, 0x30))
PSK_V2 = bytes(range(0x30, 0x50))
# Upper bound on loadgen's p99 at the modest open-loop rates used here. The
# machine has 2 cores shared with builds and fuzzers, so this is loose: it
# catches calls stuck behind stalled connections (seconds), not jitter.
P99_LIMIT_US = 1000 * 1000
IDLE_CONNECTIONS = 2000
STALLERS = 50
MAX_MESSAGE_BYTES = 1 << 20  # service/mikeyd_main.cc kMaxReceiveMessageBytes


# --- mikeyd -----------------------------------------------------------------

class Mikeyd(e2e_util.Mikeyd):
    """e2e_util.Mikeyd with a metrics port, plus what the fault cases watch:
    open fds, RLIMIT_NOFILE, one metric."""

    def __init__(self, args):
        super().__init__(FLAGS.mikeyd, args, os.path.join(TMP, "mikeyd.stderr"),
                         expect_metrics=True)
        self.target = "127.0.0.1:%d" % self.port

    def alive(self):
        return self.proc.poll() is None

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def nofile_limit(self):
        with open("/proc/%d/limits" % self.proc.pid) as f:
            for line in f:
                if line.startswith("Max open files"):
                    return int(line.split()[3])
        raise AssertionError("no Max open files")

    def metric(self, name, default=0.0):
        _, _, text = e2e_util.http_get(self.metrics_port, "/metrics")
        for line in text.splitlines():
            if line.replace(" ", "").startswith(name.replace(" ", "")):
                return float(line.rsplit(" ", 1)[1])
        if default is None:
            raise AssertionError("mikeyd's /metrics has no " + name)
        return default

    def heap_kib(self):
        """Live heap bytes by the allocator's count (see heap_usage.h)."""
        return int(self.metric("mikeyd_heap_in_use_bytes", None)) // 1024


class Footprint:
    """VmRSS and fd count of mikeyd around a case, printed."""

    def __init__(self, server, what):
        self.server = server
        self.what = what
        self.rss = server.rss_kib()
        self.fds = server.fds()

    def done(self):
        rss, fds = self.server.rss_kib(), self.server.fds()
        print("  %s: VmRSS %d -> %d KiB (%+d), fds %d -> %d" %
              (self.what, self.rss, rss, rss - self.rss, self.fds, fds),
              flush=True)
        return rss, fds


# --- clients ----------------------------------------------------------------

class Loadgen:
    """loadgen in the background; result() waits for its JSON line."""

    def __init__(self, target, rpc, rate, seconds, pid, extra=()):
        self.args = [FLAGS.loadgen, "--target=" + target, "--rpc=" + rpc,
                     "--key_id=psk", "--rate=%d" % rate,
                     "--duration=%ds" % seconds, "--warmup=0s",
                     "--concurrency=64", "--channels=2",
                     "--mikeyd_pid=%d" % pid] + list(extra)
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)

    def result(self, timeout=120):
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise AssertionError("loadgen did not finish: %r" % self.args)
        out, err = out.decode(), err.decode()
        expect_eq(self.proc.returncode, 0, "loadgen exit status: " + err)
        r = json.loads(out.strip().splitlines()[-1])
        print("  loadgen %s %s/s: %d OK, %d failed, p50 %.1f ms, p99 %.1f ms,"
              " max %.1f ms" % (r["rpc"], r["rate"], r["ok"], r["failed"],
                                r["p50_us"] / 1000, r["p99_us"] / 1000,
                                r["max_us"] / 1000), flush=True)
        return r


def expect_clean(r, min_ok):
    expect_eq(r["failed"], 0, "loadgen failed calls %r" % r["errors"])
    assert r["ok"] >= min_ok, "loadgen: only %d OK calls" % r["ok"]
    assert r["p99_us"] < P99_LIMIT_US, "loadgen p99 %.0f us" % r["p99_us"]


def initiate(stub, key_id="psk", ssrc=1):
    return stub.Initiate(broker_pb2.InitiateRequest(
        mode=broker_pb2.MODE_PSK, suite=SUITE,
        key=broker_pb2.KeyReference(key_id=key_id),
        streams=[broker_pb2.StreamSpec(ssrc=ssrc)]), timeout=10)


def respond(stub, i_message, key_id="psk"):
    return stub.Respond(broker_pb2.RespondRequest(
        input=broker_pb2.MikeyInput(message=i_message),
        key=broker_pb2.KeyReference(key_id=key_id)), timeout=10)


def exchange(stub, ssrc):
    """One PSK exchange; returns the InitiateResponse."""
    init = initiate(stub, ssrc=ssrc)
    resp = respond(stub, init.i_message)
    a, b = init.streams[0], resp.streams[0]
    if (a.master_key, a.master_salt) != (b.master_key, b.master_salt):
        raise AssertionError("keys differ (csb %d)" % init.csb_id)
    return init


class Exchanger:
    """Python clients running PSK exchanges until stopped (each its own
    channel); counts exchanges, failures, the slowest one and the key
    versions Initiate used."""

    def __init__(self, target, threads=2):
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.ok = 0
        self.failures = []
        self.slowest = 0.0
        self.versions = []  # (monotonic time, key.version) of each Initiate
        self.threads = [threading.Thread(target=self._run, args=(target, n))
                        for n in range(threads)]
        for t in self.threads:
            t.start()

    def _run(self, target, n):
        ch = grpc.insecure_channel(target)
        stub = broker_pb2_grpc.KeyBrokerStub(ch)
        i = 0
        while not self.stop_event.is_set():
            i += 1
            t0 = time.monotonic()
            try:
                init = exchange(stub, (n << 20) | i)
                took = time.monotonic() - t0
                with self.lock:
                    self.ok += 1
                    self.slowest = max(self.slowest, took)
                    self.versions.append((t0, init.key.version))
            except grpc.RpcError as e:
                with self.lock:
                    self.failures.append("%s %s" % (e.code(), e.details()))
            except AssertionError as e:
                with self.lock:
                    self.failures.append(str(e))
        ch.close()

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=30)
        print("  python exchanges: %d OK, %d failed, slowest %.0f ms" %
              (self.ok, len(self.failures), self.slowest * 1000), flush=True)

    def expect_clean(self, min_ok=5):
        expect_eq(self.failures[:5], [], "python exchanges that failed")
        assert self.ok >= min_ok, "only %d python exchanges" % self.ok
        assert self.slowest < 5.0, "slowest exchange %.1f s" % self.slowest


def health(target):
    ch = grpc.insecure_channel(target)
    try:
        check_ = ch.unary_unary("/grpc.health.v1.Health/Check",
                                request_serializer=lambda b: b,
                                response_deserializer=lambda b: b)
        expect_eq(check_(b"", timeout=10), b"\x08\x01", "health SERVING")
    finally:
        ch.close()


# --- raw HTTP/2 -------------------------------------------------------------

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, GOAWAY = 0, 1, 3, 4, 7
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4


def frame(ftype, flags, stream, payload=b""):
    return (len(payload).to_bytes(3, "big") + bytes([ftype, flags]) +
            stream.to_bytes(4, "big") + payload)


def hpack_literal(name, value):
    """Literal header field without indexing, new name (RFC 7541 6.2.2);
    names and values shorter than 127 octets."""
    name, value = name.encode(), value.encode()
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def grpc_headers(port, method):
    block = (b"\x83"  # :method POST (static table 3)
             b"\x86"  # :scheme http (static table 6)
             + hpack_literal(":path", "/mikey.broker.v1.KeyBroker/" + method)
             + hpack_literal(":authority", "127.0.0.1:%d" % port)
             + hpack_literal("content-type", "application/grpc")
             + hpack_literal("te", "trailers"))
    return frame(HEADERS, END_HEADERS, 1, block)


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def drain(s):
    """(what the peer sent that is waiting, whether it has closed `s`);
    never blocks."""
    s.setblocking(False)
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except BlockingIOError:
            return data, False
        except OSError as e:
            if e.errno in (errno.ECONNRESET, errno.EPIPE):
                return data, True
            raise
        if not chunk:
            return data, True
        data += chunk


def closed_by_peer(s):
    return drain(s)[1]


def frame_types(data):
    """The (type, stream) of each whole HTTP/2 frame in `data`."""
    out = []
    while len(data) >= 9:
        n = int.from_bytes(data[:3], "big")
        out.append((data[3], int.from_bytes(data[5:9], "big") & 0x7FFFFFFF))
        data = data[9 + n:]
    return out


def wait_closed_by_peer(s, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if closed_by_peer(s):
            return True
        select.select([s], [], [], 0.2)
    return False


def handshake(s, seconds=10):
    """Client preface + SETTINGS; waits for the server's SETTINGS; ACKs it."""
    s.sendall(PREFACE + frame(SETTINGS, 0, 0))
    buf = b""
    deadline = time.monotonic() + seconds
    while True:
        while len(buf) >= 9:
            n = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + n:
                break
            ftype, flags = buf[3], buf[4]
            buf = buf[9 + n:]
            if ftype == SETTINGS and not flags & ACK:
                s.sendall(frame(SETTINGS, ACK, 0))
                return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("no SETTINGS from the server")
        s.settimeout(remaining)
        chunk = s.recv(4096)
        if not chunk:
            raise AssertionError("server closed during the handshake")
        buf += chunk


def wait_for(predicate, seconds, step=0.2):
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


# --- main -------------------------------------------------------------------

def write_key(keystore, name, key):
    """Installs a key file atomically (written beside the directory, then
    renamed into it: the keystore refuses stray files)."""
    staging = os.path.join(TMP, "staging-" + name)
    with open(staging, "w") as f:
        f.write(key.hex() + "\n")
    os.rename(staging, os.path.join(keystore, name))


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 1 << 16
    want = min(want, 1 << 16)
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    print("RLIMIT_NOFILE soft %d -> %d (hard %s)" % (
        soft, resource.getrlimit(resource.RLIMIT_NOFILE)[0], hard))

    keystore = os.path.join(TMP, "keys")
    os.mkdir(keystore)
    write_key(keystore, "psk.v1", PSK_V1)
    write_key(keystore, "other.v1", os.urandom(32))
    write_key(keystore, "state-key.v1", os.urandom(32))
    config = os.path.join(TMP, "mikeyd.json")
    with open(config, "w") as f:
        json.dump({
            "plaintext_loopback_ok": True,
            "keystore": {"dir": keystore, "reload_interval": "1s"},
            "shutdown_drain": "0s",
            "shutdown_grace": "2s",
            # mikeyd_heap_in_use_bytes, for the idle-connections case (the
            # listen address comes from --metrics_listen).
            "metrics": {"heap_stats": True},
        }, f)
    audit = os.path.join(TMP, "audit.jsonl")
    server = Mikeyd(["--config=" + config, "--listen=127.0.0.1:0",
                     "--metrics_listen=127.0.0.1:0", "--audit_log=" + audit])
    target = server.target
    pid = server.proc.pid
    open_sockets = []
    try:
        health(target)
        print("mikeyd pid %d on %s: VmRSS %d KiB, %d fds, RLIMIT_NOFILE %d" %
              (pid, target, server.rss_kib(), server.fds(),
               server.nofile_limit()), flush=True)

        def stallers():
            fp = Footprint(server, "stallers")
            t0 = time.monotonic()
            kinds = {"half preface": PREFACE[:12],
                     "preface + partial frame header":
                         PREFACE + frame(SETTINGS, 0, 0)[:5],
                     "half gRPC request":
                         PREFACE + frame(SETTINGS, 0, 0) +
                         grpc_headers(server.port, "Initiate") +
                         frame(DATA, 0, 1, b"\x00" +
                               (1000).to_bytes(4, "big") + b"\x0a" * 10)}
            names = list(kinds)
            socks = []
            for i in range(STALLERS):
                kind = names[i % len(names)]
                s = connect(server.port)
                open_sockets.append(s)
                s.sendall(kinds[kind])
                socks.append((kind, s))
            time.sleep(0.5)
            py = Exchanger(target)
            try:
                r = Loadgen(target, "initiate", 1000, 3, pid).result()
                expect_clean(r, 2000)
                r = Loadgen(target, "respond", 1000, 3, pid).result()
                expect_clean(r, 2000)
            finally:
                py.stop()
            py.expect_clean()
            assert server.alive(), "mikeyd exited"
            # A client sending garbage instead of the preface is
            # disconnected.
            for garbage in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc" +
                            os.urandom(200),
                            b"PRI * HTTP/1.1\r\n\r\n" + os.urandom(64)):
                g = connect(server.port)
                try:
                    g.sendall(garbage)
                    assert wait_closed_by_peer(g, 10), (
                        "not disconnected after %r" % garbage[:20])
                finally:
                    g.close()
            still = {}
            for kind, s in socks:
                data, closed = drain(s)
                if not closed:
                    still[kind] = still.get(kind, 0) + 1
                if kind == "half gRPC request":
                    # The server took the stream (no RST_STREAM, no GOAWAY):
                    # it really holds a call waiting for the rest.
                    types = [t for t, _ in frame_types(data)]
                    assert RST_STREAM not in types and GOAWAY not in types, (
                        "half request refused: frames %r" % types)
            print("  stallers still connected after %.0f s: %r" %
                  (time.monotonic() - t0, still), flush=True)
            for _, s in socks:
                s.close()
                open_sockets.remove(s)
            health(target)
            fp.done()
        check("stalled half-requests do not hold up other clients; "
              "garbage is disconnected", stallers)

        def idle_connections():
            limit = server.nofile_limit()
            own = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
            n = min(IDLE_CONNECTIONS, limit - 256, own - 256)
            if n < IDLE_CONNECTIONS:
                print("  NOTE: only %d connections (RLIMIT_NOFILE: mikeyd "
                      "%d, test %d)" % (n, limit, own), flush=True)
            assert n >= 500, "RLIMIT_NOFILE too low for this case"
            # Settle: let allocator caches from the previous case fill.
            Loadgen(target, "initiate", 500, 1, pid).result()
            fp = Footprint(server, "idle connections")

            def open_idle():
                socks = []
                t0 = time.monotonic()
                for i in range(n):
                    for attempt in range(20):
                        try:
                            s = connect(server.port)
                            break
                        except OSError:
                            # Accept backlog full: give mikeyd a moment.
                            time.sleep(0.05)
                    else:
                        raise AssertionError("connection %d refused" % i)
                    socks.append(s)
                    open_sockets.append(s)
                handshaken = socks[::4]
                for s in handshaken:
                    handshake(s)
                accepted = wait_for(lambda: server.fds() >= fp.fds + n, 30)
                print("  %d connections (%d with the HTTP/2 handshake) in "
                      "%.1f s; mikeyd fds %d, VmRSS %d KiB" %
                      (n, len(handshaken), time.monotonic() - t0,
                       server.fds(), server.rss_kib()), flush=True)
                assert accepted, "mikeyd holds %d fds, expected >= %d" % (
                    server.fds(), fp.fds + n)
                return socks

            def close_idle(socks):
                dropped = sum(1 for s in socks if closed_by_peer(s))
                expect_eq(dropped, 0, "idle connections the server closed")
                peak = server.rss_kib()
                for s in socks:
                    s.close()
                    open_sockets.remove(s)
                back = wait_for(lambda: server.fds() <= fp.fds + 4, 30)
                assert back, "mikeyd fds %d after closing, %d before" % (
                    server.fds(), fp.fds)
                time.sleep(1)
                heaps.append(server.heap_kib())
                return peak

            heaps = [server.heap_kib()]
            # Round 1: calls while the connections are open.
            socks = open_idle()
            py = Exchanger(target)
            try:
                health(target)
                r = Loadgen(target, "health", 2000, 2, pid).result()
                expect_clean(r, 2000)
                r = Loadgen(target, "initiate", 1000, 2, pid).result()
                expect_clean(r, 1000)
                r = Loadgen(target, "respond", 1000, 2, pid).result()
                expect_clean(r, 1000)
            finally:
                py.stop()
            py.expect_clean()
            peak1 = close_idle(socks)
            rss1, _ = fp.done()
            # Rounds 2 to 5: the same connections again. What must hold is
            # that later rounds reuse what round 1 freed. The allocator's
            # count of live bytes shows that exactly: it moves by a few KiB
            # over the four rounds, so a leak of 32 octets per connection
            # (8000 more connections) is over this budget. RSS cannot show
            # it: glibc keeps what the connections freed in its per-thread
            # arenas, and which arena a connection lands in varies, so RSS
            # after the same round moves by tens of MiB from run to run (it
            # is bounded only loosely below, against gross growth outside
            # the heap, such as thread stacks).
            peaks = [peak1]
            for _ in range(4):
                peaks.append(close_idle(open_idle()))
            rss5, fds = fp.done()
            print("  VmRSS peaks with the connections open %r KiB; after "
                  "closing: round 1 %d, round 5 %d" % (peaks, rss1, rss5),
                  flush=True)
            print("  live heap: before %d KiB, after each round %r KiB" %
                  (heaps[0], heaps[1:]), flush=True)
            budget = 32 * 4 * n // 1024
            assert heaps[5] - heaps[1] <= budget, (
                "live heap grows per round of connections: %d KiB after "
                "round 1, %d KiB after round 5 (budget %d KiB)" %
                (heaps[1], heaps[5], budget))
            bound = fp.rss + 2 * (peak1 - fp.rss) + 16 * 1024
            assert rss5 <= bound, (
                "VmRSS grows per round of connections: %d KiB after round "
                "5, peak of round 1 %d, baseline %d" % (rss5, peak1, fp.rss))
            health(target)
        check("%d idle connections: health and PSK calls still served; fds "
              "come back, the live heap does not grow per round" % IDLE_CONNECTIONS,
              idle_connections)

        def keystore_reload_under_load():
            fp = Footprint(server, "keystore reload")
            ch = grpc.insecure_channel(target)
            stub = broker_pb2_grpc.KeyBrokerStub(ch)
            expect_eq(initiate(stub).key.version, 1, "psk version at first")
            # I_MESSAGEs made with psk.v1, answered after the rotation.
            old = [initiate(stub, ssrc=0x100 + i) for i in range(20)]
            reloads = server.metric(
                'mikeyd_keystore_reloads_total{outcome="ok"}')
            errors = server.metric(
                'mikeyd_keystore_reloads_total{outcome="error"}')
            lg = Loadgen(target, "initiate", 800, 8, pid)
            py = Exchanger(target)
            try:
                time.sleep(2)
                rotated = time.monotonic()
                write_key(keystore, "psk.v2", PSK_V2)
                write_key(keystore, "extra-1.v1", os.urandom(32))
                write_key(keystore, "extra-2.v1", os.urandom(16))
                os.unlink(os.path.join(keystore, "other.v1"))
                assert wait_for(lambda: server.metric(
                    'mikeyd_keystore_reloads_total{outcome="ok"}') > reloads,
                    10), "no keystore reload within 10 s"
                seen = time.monotonic() - rotated
                time.sleep(1.5)
                # A second change: one key goes, another comes.
                reloads2 = server.metric(
                    'mikeyd_keystore_reloads_total{outcome="ok"}')
                os.unlink(os.path.join(keystore, "extra-2.v1"))
                write_key(keystore, "extra-3.v1", os.urandom(32))
                assert wait_for(lambda: server.metric(
                    'mikeyd_keystore_reloads_total{outcome="ok"}') > reloads2,
                    10), "no second keystore reload within 10 s"
                r = lg.result()
            finally:
                py.stop()
            expect_clean(r, 4000)
            py.expect_clean()
            print("  reload seen %.1f s after the rotation" % seen)
            expect_eq(server.metric(
                'mikeyd_keystore_reloads_total{outcome="error"}'), errors,
                "failed keystore reloads")
            # Python Initiates: v1 before the rotation, v2 a reload interval
            # (plus slack) after it.
            late = [v for t, v in py.versions if t > rotated + seen + 0.5]
            assert late and set(late) == {2}, (
                "versions used after the reload: %r" % sorted(set(late)))
            expect_eq(initiate(stub).key.version, 2, "psk version after")
            # Verification still tries v1.
            for init in old:
                respond(stub, init.i_message)
            initiate(stub, key_id="extra-1")
            initiate(stub, key_id="extra-3")
            for gone in ("other", "extra-2"):
                try:
                    initiate(stub, key_id=gone)
                    raise AssertionError("removed key %s still used" % gone)
                except grpc.RpcError as e:
                    expect_eq(e.code(), grpc.StatusCode.NOT_FOUND,
                              "Initiate with removed key %s (%s)" %
                              (gone, e.details()))
            ch.close()
            # The audit log: every psk Initiate OK; once v2 appears, v1
            # only from calls that were already running.
            with open(audit) as f:
                lines = [json.loads(x) for x in f if '"Initiate"' in x]
            psk = [x for x in lines if x["key_id"] == "psk"]
            bad = [x for x in psk if x["code"] != "OK"]
            expect_eq(bad[:3], [], "psk Initiates that failed")
            versions = [x["key_version"] for x in psk]
            first_v2 = versions.index(2)
            v1_after = versions[first_v2:].count(1)
            print("  audit: %d psk Initiates, v1 %d, v2 %d; v1 after the "
                  "first v2: %d" % (len(versions), versions.count(1),
                                     versions.count(2), v1_after))
            assert v1_after <= 70, "%d v1 Initiates after the first v2" % (
                v1_after)
            assert set(versions[-500:]) == {2}, "v1 still used at the end"
            fp.done()
        check("keystore rotation and key changes under Initiate load: no "
              "failed call, new version used", keystore_reload_under_load)

        def oversized():
            fp = Footprint(server, "oversized")
            ch = grpc.insecure_channel(
                target, options=[("grpc.max_send_message_length", 8 << 20)])
            stub = broker_pb2_grpc.KeyBrokerStub(ch)
            big = b"\x01" * (2 << 20)
            codes = []
            lock = threading.Lock()

            def send_big(n):
                for i in range(10):
                    try:
                        if i % 2:
                            respond(stub, big)
                        else:
                            stub.Decode(broker_pb2.DecodeRequest(
                                input=broker_pb2.MikeyInput(message=big)),
                                timeout=10)
                        got = grpc.StatusCode.OK
                    except grpc.RpcError as e:
                        got = e.code()
                    with lock:
                        codes.append(got)

            lg = Loadgen(target, "initiate", 1000, 4, pid)
            py = Exchanger(target)
            time.sleep(0.5)
            senders = [threading.Thread(target=send_big, args=(n,))
                       for n in range(4)]
            for t in senders:
                t.start()
            for t in senders:
                t.join(timeout=60)
            try:
                r = lg.result()
            finally:
                py.stop()
            ch.close()
            expect_eq(set(codes), {grpc.StatusCode.RESOURCE_EXHAUSTED},
                      "codes of 2 MiB requests")
            expect_eq(len(codes), 40, "2 MiB requests answered")
            expect_clean(r, 3000)
            py.expect_clean()
            fp.done()
        check("2 MiB requests: RESOURCE_EXHAUSTED while normal calls succeed",
              oversized)

        def still_serving():
            assert server.alive(), "mikeyd exited: " + server.stderr()
            health(target)
            ch = grpc.insecure_channel(target)
            exchange(broker_pb2_grpc.KeyBrokerStub(ch), 0x4242)
            ch.close()
        check("mikeyd still serving", still_serving)
    finally:
        for s in open_sockets:
            s.close()
        if server.alive():
            def exits_zero():
                expect_eq(server.terminate(timeout=20), 0,
                          "exit status: " + server.stderr())
            check("SIGTERM -> exit 0", exits_zero)
        else:
            server.kill()
    return CASES.finish()


if __name__ == "__main__":
    try:
        status = main()
    except Exception:  # setup failed: count it as a case
        import traceback
        traceback.print_exc()
        CASES.results.append(("setup", 0.0, traceback.format_exc()))
        status = CASES.finish()
    if status == 0 and not os.environ.get("TEST_TMPDIR"):
        shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(status)
