"""Scale-out test: three mikeyd replicas behind nginx (grpc_pass), one shared
keystore directory and state key, one Redis replay cache.

Starts, all on loopback and free ports, as the test user, under $TEST_TMPDIR:
Debian's redis-server (no persistence), three mikeyd processes with the same
configuration file (replay backend "redis"), and nginx with an HTTP/2
(h2c) listener whose upstream is the three replicas. nginx balances per
request (round robin), so the calls of one exchange land on different
replicas. Cases:

- health through the balancer is SERVING;
- PSK exchanges with the V flag (Initiate, Respond, Complete) through the
  balancer complete with equal keys, and the audit logs show that more than
  one replica served calls of one exchange (per csb_id);
- a replayed I_MESSAGE is refused (FAILED_PRECONDITION) through the
  balancer and by every replica directly, also those that never saw it;
- loadgen (the C++ client) through the balancer: Respond without errors;
- SIGKILL of one replica while clients run exchanges: every exchange the
  client retries (from Initiate, on UNAVAILABLE) ends with equal keys, none
  fails otherwise, and the two remaining replicas report SERVING.

Stops everything it started, by PID. Ends with "N passed, N failed".
"""

import argparse
import grp
import json
import os
import pwd
import signal
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

CASES = casetest.Cases("scaleout")
check = CASES.check

TMP = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
PSK = bytes(range(0x10, 0x30))
STATE_KEY = bytes(range(0x90, 0xB0))
SUITE = "AES_CM_128_HMAC_SHA1_80"
REPLICAS = 3


def health(channel, service=""):
    """grpc.health.v1 Check, hand-encoded (Debian ships no health stubs):
    HealthCheckRequest{service = 1}; returns HealthCheckResponse.status
    (1 = SERVING)."""
    check_ = channel.unary_unary("/grpc.health.v1.Health/Check",
                                 request_serializer=lambda b: b,
                                 response_deserializer=lambda b: b)
    s = service.encode()
    reply = check_((bytes([0x0A, len(s)]) + s) if s else b"", timeout=5)
    if reply == b"":
        return 0
    if len(reply) != 2 or reply[0] != 0x08:
        raise AssertionError("HealthCheckResponse %r" % reply)
    return reply[1]


def expect_serving(target):
    ch = grpc.insecure_channel(target)
    try:
        for service in ("", "mikey.broker.v1.KeyBroker"):
            expect_eq(health(ch, service), 1, "health(%r) of %s" %
                      (service, target))
    finally:
        ch.close()


def metrics(port):
    return e2e_util.http_get(port, "/metrics")[2]


def ok_count(text, method):
    """mikeyd_requests_total{method=METHOD,code="OK"} of a /metrics text."""
    want = 'mikeyd_requests_total{method="%s",code="OK"}' % method
    for line in text.splitlines():
        if line.replace(" ", "").startswith(want.replace(" ", "")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def replica(name, args):
    """A replica: mikeyd with a metrics port, stderr to TMP/NAME.stderr."""
    return e2e_util.Mikeyd(FLAGS.mikeyd, args,
                           os.path.join(TMP, name + ".stderr"),
                           expect_metrics=True)


def run(args, timeout):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc, what, log, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            with open(log, "rb") as f:
                text = f.read().decode(errors="replace")
            raise AssertionError("%s exited (%s): %s" %
                                 (what, proc.returncode, text))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("%s does not listen on %d" % (what, port))


class Process:
    """A child process stopped by its PID."""

    def __init__(self, name, args):
        self.name = name
        self.log_path = os.path.join(TMP, name + ".log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def start_redis():
    port = free_port()
    d = os.path.join(TMP, "redis")
    os.mkdir(d)
    p = Process("redis", ["redis-server", "--port", str(port), "--bind",
                          "127.0.0.1", "--save", "", "--appendonly", "no",
                          "--dir", d, "--daemonize", "no"])
    wait_port(port, p.proc, "redis-server", p.log_path)
    return p, port


NGINX_CONF = """
{user}
worker_processes 1;
error_log {dir}/error.log warn;
pid {dir}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
  access_log {dir}/access.log;
  client_body_temp_path {dir}/client_body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  upstream mikeyd {{
{servers}
    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{port} http2;
    location / {{
      grpc_pass grpc://mikeyd;
      grpc_connect_timeout 1s;
      grpc_next_upstream error timeout;
    }}
  }}
}}
"""


def start_nginx(replica_ports):
    d = os.path.join(TMP, "nginx")
    os.mkdir(d)
    port = free_port()
    servers = "\n".join("    server 127.0.0.1:%d max_fails=1 fail_timeout=10s;"
                        % p for p in replica_ports)
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        # Workers run as the test user (as root nginx would switch to
        # nobody, and chown its temp directories, which a sandbox refuses).
        user = ""
        if os.geteuid() == 0:
            user = "user %s %s;" % (pwd.getpwuid(os.geteuid()).pw_name,
                                    grp.getgrgid(os.getegid()).gr_name)
        f.write(NGINX_CONF.format(user=user, dir=d, servers=servers,
                                  port=port))
    p = Process("nginx", ["nginx", "-p", d, "-c", conf, "-e",
                          os.path.join(d, "error.log"),
                          "-g", "daemon off;"])
    wait_port(port, p.proc, "nginx", os.path.join(d, "error.log"))
    return p, port


def audit_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def exchange(stub, ssrc):
    """One PSK exchange with the V flag; returns (csb_id, key, salt)."""
    key = broker_pb2.KeyReference(key_id="psk")
    init = stub.Initiate(broker_pb2.InitiateRequest(
        mode=broker_pb2.MODE_PSK, suite=SUITE, v_flag=True, key=key,
        streams=[broker_pb2.StreamSpec(ssrc=ssrc)]), timeout=10)
    assert init.state, "Initiate with V gave no state"
    resp = stub.Respond(broker_pb2.RespondRequest(
        input=broker_pb2.MikeyInput(message=init.i_message), key=key),
        timeout=10)
    assert resp.r_message, "Respond with V gave no R_MESSAGE"
    done = stub.Complete(broker_pb2.CompleteRequest(
        state=init.state, input=broker_pb2.MikeyInput(message=resp.r_message)),
        timeout=10)
    a, b, c = init.streams[0], resp.streams[0], done.streams[0]
    if not (a.master_key == b.master_key == c.master_key and
            a.master_salt == b.master_salt == c.master_salt):
        raise AssertionError("keys differ (csb %d)" % init.csb_id)
    expect_eq((b.csb_id, c.csb_id), (init.csb_id, init.csb_id), "csb_id")
    return init.csb_id


def main():
    keystore = os.path.join(TMP, "keys")
    os.mkdir(keystore)
    for name, key in (("psk.v1", PSK), ("state-key.v1", STATE_KEY)):
        with open(os.path.join(keystore, name), "w") as f:
            f.write(key.hex() + "\n")
    started = []
    replicas = []
    try:
        redis, redis_port = start_redis()
        started.append(redis)
        config = os.path.join(TMP, "mikeyd.json")
        with open(config, "w") as f:
            json.dump({
                "plaintext_loopback_ok": True,
                "keystore": {"dir": keystore},
                "state": {"key_id": "state-key", "ttl": "120s"},
                "replay": {"backend": "redis",
                           "redis_address": "127.0.0.1:%d" % redis_port},
                "shutdown_drain": "0s",
                "shutdown_grace": "1s",
            }, f)
        audits = []
        for i in range(REPLICAS):
            audit = os.path.join(TMP, "audit-%d.jsonl" % i)
            audits.append(audit)
            replicas.append(replica(
                "mikeyd-%d" % i,
                ["--config=" + config, "--listen=127.0.0.1:0",
                 "--metrics_listen=127.0.0.1:0", "--audit_log=" + audit]))
        nginx, lb_port = start_nginx([r.port for r in replicas])
        started.append(nginx)
        lb = "127.0.0.1:%d" % lb_port
        channel = grpc.insecure_channel(lb)
        stub = broker_pb2_grpc.KeyBrokerStub(channel)
        direct = [broker_pb2_grpc.KeyBrokerStub(
            grpc.insecure_channel("127.0.0.1:%d" % r.port)) for r in replicas]

        def health_through_balancer():
            grpc.channel_ready_future(channel).result(timeout=20)
            expect_serving(lb)
        check("health_through_balancer_serving", health_through_balancer)

        def exchanges_span_replicas():
            csbs = {exchange(stub, 0x1000 + i) for i in range(12)}
            # Which replicas logged calls of each exchange.
            served = {}
            per_replica = [0] * REPLICAS
            for i, path in enumerate(audits):
                for line in audit_lines(path):
                    if line.get("csb_id") in csbs and line["code"] == "OK":
                        served.setdefault(line["csb_id"], set()).add(i)
                        per_replica[i] += 1
            spanning = [c for c, s in served.items() if len(s) > 1]
            assert sum(1 for n in per_replica if n > 0) > 1, per_replica
            assert spanning, "no exchange spanned two replicas: %r" % served
            # And the replicas' own metrics agree: more than one served
            # Complete or Respond.
            busy = 0
            for r in replicas:
                text = metrics(r.metrics_port)
                if ok_count(text, "Respond") + ok_count(text, "Complete") > 0:
                    busy += 1
            assert busy > 1, "only %d replica(s) served Respond/Complete" % busy
            print("  %d exchanges, %d spanning replicas, calls per replica %r"
                  % (len(csbs), len(spanning), per_replica))
        check("psk_v_exchanges_complete_across_replicas",
              exchanges_span_replicas)

        def replay_rejected_everywhere():
            key = broker_pb2.KeyReference(key_id="psk")
            init = stub.Initiate(broker_pb2.InitiateRequest(
                mode=broker_pb2.MODE_PSK, suite=SUITE, key=key), timeout=10)
            req = broker_pb2.RespondRequest(
                input=broker_pb2.MikeyInput(message=init.i_message), key=key)
            stub.Respond(req, timeout=10)
            for _ in range(REPLICAS):  # round robin: every replica in turn
                try:
                    stub.Respond(req, timeout=10)
                    raise AssertionError("replay through nginx accepted")
                except grpc.RpcError as e:
                    expect_eq(e.code(), grpc.StatusCode.FAILED_PRECONDITION,
                              "replay through nginx (%s)" % e.details())
            for i, d in enumerate(direct):
                try:
                    d.Respond(req, timeout=10)
                    raise AssertionError("replay accepted by replica %d" % i)
                except grpc.RpcError as e:
                    expect_eq(e.code(), grpc.StatusCode.FAILED_PRECONDITION,
                              "replay at replica %d (%s)" % (i, e.details()))
            # The audit logs: the first Respond was accepted by one replica,
            # and replicas other than that one refused it.
            accepted, refused = set(), set()
            for i, path in enumerate(audits):
                for line in audit_lines(path):
                    if (line["rpc"] == "Respond" and
                            line.get("csb_id") == init.csb_id):
                        (accepted if line["code"] == "OK" else refused).add(i)
            expect_eq(len(accepted), 1, "replicas that accepted it")
            assert refused - accepted, (accepted, refused)
        check("replay_rejected_on_every_replica", replay_rejected_everywhere)

        def loadgen_through_balancer():
            code, out, err = run(
                [FLAGS.loadgen, "--target=" + lb, "--rpc=respond",
                 "--key_id=psk", "--duration=2s", "--warmup=0s",
                 "--concurrency=16", "--channels=2",
                 "--respond_pool=3000"], timeout=60)
            expect_eq(code, 0, "loadgen exit status: " + err)
            result = json.loads(out.strip().splitlines()[-1])
            expect_eq(result["failed"], 0, "failed calls: %s" % out)
            assert result["ok"] > 100, out
            print("  loadgen: %d OK, %.0f/s through nginx" %
                  (result["ok"], result["throughput"]))
        check("loadgen_respond_through_balancer", loadgen_through_balancer)

        def sigkill_under_load():
            stop = threading.Event()
            lock = threading.Lock()
            results = {"ok": 0, "retries": 0, "failures": []}

            def worker(n):
                ch = grpc.insecure_channel(lb)
                s = broker_pb2_grpc.KeyBrokerStub(ch)
                i = 0
                while not stop.is_set():
                    i += 1
                    for attempt in range(20):
                        try:
                            exchange(s, (n << 16) | i)
                            with lock:
                                results["ok"] += 1
                            break
                        except grpc.RpcError as e:
                            if e.code() != grpc.StatusCode.UNAVAILABLE:
                                with lock:
                                    results["failures"].append(
                                        "%s %s" % (e.code(), e.details()))
                                break
                            with lock:
                                results["retries"] += 1
                            time.sleep(0.05)
                        except AssertionError as e:
                            with lock:
                                results["failures"].append(str(e))
                            break
                    else:
                        with lock:
                            results["failures"].append("20 attempts")
                ch.close()

            threads = [threading.Thread(target=worker, args=(n,))
                       for n in range(4)]
            for t in threads:
                t.start()
            time.sleep(2)
            with lock:
                before = results["ok"]
            victim = replicas[1]
            os.kill(victim.pid(), signal.SIGKILL)
            victim.proc.wait()
            time.sleep(3)
            stop.set()
            for t in threads:
                t.join(timeout=30)
            print("  exchanges: %d before the kill, %d in all; %d retried "
                  "calls (UNAVAILABLE)" % (before, results["ok"],
                                           results["retries"]))
            expect_eq(results["failures"], [], "exchanges that failed")
            assert results["ok"] > before > 0, results
            for i, r in enumerate(replicas):
                if r is victim:
                    continue
                expect_serving("127.0.0.1:%d" % r.port)
            expect_serving(lb)
            # After the kill, exchanges through nginx still work.
            exchange(stub, 0x7777)
        check("sigkill_one_replica_under_load_loses_nothing",
              sigkill_under_load)
        channel.close()
    finally:
        for p in reversed(started):
            if p.name == "nginx":
                p.stop(signal.SIGQUIT)
        for r in replicas:
            if r.proc.poll() is None:
                try:
                    r.terminate(timeout=10)
                except AssertionError:
                    pass  # killed instead; cleaning up goes on
            else:
                r.kill()
        for p in started:
            if p.name != "nginx":
                p.stop()
    return CASES.finish()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # setup failed: count it as a case
        import traceback
        traceback.print_exc()
        CASES.results.append(("setup", 0.0, traceback.format_exc()))
        sys.exit(CASES.finish())
