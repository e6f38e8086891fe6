"""Builds the mikeyd container image with podman and checks it runs as a
deployment would run it. Started by deploy/container-test (which installs
podman and friends and finds the Python stubs); one case per check, written
as JUnit XML for tools/test (tests/harness/casetest.py).

What it does, in order (each step a case, timed):
  1. base image localhost/bookworm-base: imported from a cached debootstrap
     tarball, or made with debootstrap first (PLATFORM-FACTS: no registry);
  2. podman build of deploy/Dockerfile (--isolation=chroot --network=host);
  3. checks of the image: numeric non-root user, every shared library
     resolves inside it (ldd), size within budget;
  4. runs it with --network=host on a free 127.0.0.1 port, --read-only
     --cap-drop=ALL --security-opt=no-new-privileges, and checks the process
     from the host (/proc: UID, capabilities, NoNewPrivs);
  5. gRPC through it: health, Decode, a PSK exchange (Initiate + Respond),
     a replayed I_MESSAGE refused, mikeyctl from the image as a client;
  6. podman stop (SIGTERM): exit status 0 and a graceful shutdown.

Ends with "N passed, N failed".
"""

import argparse
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("--repo", required=True, help="repository root")
parser.add_argument("--pythonpath", required=True,
                    help="directory of the generated broker_pb2 modules")
parser.add_argument("--casetest", required=True)
parser.add_argument("--cache_dir", default="/var/tmp/mikey-broker",
                    help="where the base image tarball is kept between runs")
parser.add_argument("--image", default="localhost/mikeyd:test")
parser.add_argument("--base_image", default="localhost/bookworm-base")
parser.add_argument("--mirror", default="http://deb.debian.org/debian")
parser.add_argument("--refresh_base", action="store_true",
                    help="debootstrap again even if a cached tarball exists")
parser.add_argument("--psk_key_id", default="demo-psk",
                    help="keystore key of mikeyd's embedded default config")
parser.add_argument("--max_image_mb", type=int, default=200)
FLAGS = parser.parse_args()
sys.path.insert(0, FLAGS.pythonpath)
sys.path.insert(0, os.path.dirname(FLAGS.casetest))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import grpc  # noqa: E402
import casetest  # noqa: E402
import mikeyd_client  # noqa: E402

CASES = casetest.Cases("container_test")
TIMINGS = []


def log(msg):
    print("container-test: " + msg, flush=True)


def run(args, timeout=600, check=True, input=None, quiet=False):
    """Runs a command; returns CompletedProcess (text). Raises on failure."""
    if not quiet:
        log("$ " + " ".join(args))
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, input=input, text=True)
    if check and p.returncode != 0:
        raise AssertionError("%s exited %d\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(args), p.returncode, p.stdout[-4000:], p.stderr[-4000:]))
    return p


def timed_check(name, fn):
    start = time.monotonic()
    ok = CASES.check(name, fn)
    TIMINGS.append((name, time.monotonic() - start))
    return ok


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- 1. the base image -----------------------------------------------------

def base_image():
    if run(["podman", "image", "exists", FLAGS.base_image],
           check=False, quiet=True).returncode == 0 and not FLAGS.refresh_base:
        log("%s present" % FLAGS.base_image)
        return
    tarball = os.path.join(FLAGS.cache_dir, "bookworm-base.tar.gz")
    if FLAGS.refresh_base or not os.path.exists(tarball):
        os.makedirs(FLAGS.cache_dir, exist_ok=True)
        root = tempfile.mkdtemp(prefix="bookworm-", dir=FLAGS.cache_dir)
        try:
            run(["debootstrap", "--variant=minbase", "bookworm", root,
                 FLAGS.mirror], timeout=900)
            # As in debian:bookworm-slim: updates and security too, no
            # package lists, caches or documentation.
            with open(os.path.join(root, "etc/apt/sources.list"), "w") as f:
                mirror = FLAGS.mirror.rstrip("/")
                f.write("deb %s bookworm main\n" % mirror)
                f.write("deb %s bookworm-updates main\n" % mirror)
                f.write("deb %s-security bookworm-security main\n" % mirror)
            subprocess.run(
                "cd '%s' && rm -rf var/cache/apt/archives/*.deb "
                "var/cache/apt/*.bin var/lib/apt/lists/* usr/share/doc/* "
                "usr/share/man/* usr/share/locale/* usr/share/info/* && "
                "mkdir -p var/lib/apt/lists/partial" % root,
                shell=True, check=True)
            tmp_tar = tarball + ".tmp"
            subprocess.run("tar -C '%s' -c . | gzip -1 > '%s'" %
                           (root, tmp_tar), shell=True, check=True)
            os.replace(tmp_tar, tarball)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    run(["podman", "import", tarball, FLAGS.base_image])


# --- 2. the build ----------------------------------------------------------

BUILD_OUTPUT = {}


def build():
    p = run(["podman", "build", "--isolation=chroot", "--network=host",
             "--build-arg", "BASE=" + FLAGS.base_image,
             "-f", os.path.join(FLAGS.repo, "deploy/Dockerfile"),
             "-t", FLAGS.image, FLAGS.repo], timeout=1500)
    BUILD_OUTPUT["log"] = p.stdout + p.stderr
    m = re.search(r"INFO: Elapsed time: ([0-9.]+)s", BUILD_OUTPUT["log"])
    if m:
        log("bazel build inside the image: %ss" % m.group(1))


# --- 3. the image ----------------------------------------------------------

def inspect(fmt):
    return run(["podman", "image", "inspect", "--format", fmt, FLAGS.image],
               quiet=True).stdout.strip()


def image_user():
    user = inspect("{{.Config.User}}")
    m = re.fullmatch(r"(\d+):(\d+)", user)
    if not m:
        raise AssertionError("USER %r is not numeric UID:GID" % user)
    if int(m.group(1)) == 0 or int(m.group(2)) == 0:
        raise AssertionError("USER %r is root" % user)
    entrypoint = inspect("{{.Config.Entrypoint}}")
    if "/usr/local/bin/mikeyd" not in entrypoint:
        raise AssertionError("ENTRYPOINT %r" % entrypoint)


def image_libraries():
    for exe in ("/usr/local/bin/mikeyd", "/usr/local/bin/mikeyctl"):
        p = run(["podman", "run", "--rm", "--network=host", "--read-only",
                 "--cap-drop=ALL", "--entrypoint", "/usr/bin/ldd",
                 FLAGS.image, exe])
        if "not found" in p.stdout:
            raise AssertionError("%s: unresolved libraries:\n%s" %
                                 (exe, p.stdout))


IMAGE_SIZE = {}


def image_size():
    size = int(inspect("{{.Size}}"))
    IMAGE_SIZE["bytes"] = size
    log("image size: %d bytes (%.1f MB)" % (size, size / 1e6))
    if size > FLAGS.max_image_mb * 1000 * 1000:
        raise AssertionError("image is %.1f MB, budget %d MB" %
                             (size / 1e6, FLAGS.max_image_mb))


# --- 4-6. running it -------------------------------------------------------

STATE = {}


def start_container():
    port = free_port()
    name = "mikeyd-container-test-%d" % os.getpid()
    run(["podman", "rm", "-f", name], check=False, quiet=True)
    run(["podman", "run", "-d", "--name", name, "--network=host",
         "--read-only", "--cap-drop=ALL",
         "--security-opt=no-new-privileges", FLAGS.image,
         "--listen=127.0.0.1:%d" % port])
    STATE["name"] = name
    STATE["target"] = "127.0.0.1:%d" % port
    took = mikeyd_client.wait_serving(STATE["target"])
    log("SERVING after %.2fs" % took)


def process_confinement():
    pid = inspect_container("{{.State.Pid}}")
    with open("/proc/%s/status" % pid) as f:
        status = dict(line.rstrip("\n").split(":\t", 1) for line in f
                      if ":\t" in line)
    uids = status["Uid"].split()
    if set(uids) != {"65532"}:
        raise AssertionError("Uid %s" % status["Uid"])
    for cap in ("CapEff", "CapPrm", "CapBnd"):
        if int(status[cap], 16) != 0:
            raise AssertionError("%s %s" % (cap, status[cap]))
    if status.get("NoNewPrivs") != "1":
        raise AssertionError("NoNewPrivs %s" % status.get("NoNewPrivs"))
    if inspect_container("{{.HostConfig.ReadonlyRootfs}}") != "true":
        raise AssertionError("root filesystem not read-only")


def inspect_container(fmt):
    return run(["podman", "inspect", "--format", fmt, STATE["name"]],
               quiet=True).stdout.strip()


def with_channel(fn):
    def call():
        channel = grpc.insecure_channel(STATE["target"])
        try:
            grpc.channel_ready_future(channel).result(timeout=10)
            fn(channel)
        finally:
            channel.close()
    return call


def health(channel):
    mikeyd_client.check_health(channel)


def decode(channel):
    mikeyd_client.check_decode(mikeyd_client.broker_stub(channel))


def psk_exchange(channel):
    stub = mikeyd_client.broker_stub(channel)
    init, _ = mikeyd_client.psk_exchange(stub, FLAGS.psk_key_id)
    STATE["key_mgmt"] = init.key_mgmt


def replay_refused(channel):
    if "key_mgmt" not in STATE:
        raise AssertionError("no exchange to replay (PSK exchange failed)")
    code = mikeyd_client.respond_code(mikeyd_client.broker_stub(channel),
                                      STATE["key_mgmt"], FLAGS.psk_key_id)
    log("replayed I_MESSAGE: %s" % code)
    if code == grpc.StatusCode.OK:
        raise AssertionError("a replayed I_MESSAGE was accepted")


def mikeyctl_in_image():
    text = base64.b64encode(mikeyd_client.PSK_MESSAGE).decode()
    args = ["podman", "run", "--rm", "--network=host", "--read-only",
            "--cap-drop=ALL", "--security-opt=no-new-privileges",
            "--entrypoint", "/usr/local/bin/mikeyctl", FLAGS.image, "decode"]
    offline = json.loads(run(args + [text]).stdout)
    online = json.loads(
        run(args + ["--server=" + STATE["target"], text]).stdout)
    if offline != online:
        raise AssertionError("mikeyctl decode: offline and --server differ")
    data_type = offline["message"]["header"]["data_type"]
    if data_type != "DATA_TYPE_PSK_INIT":
        raise AssertionError("mikeyctl decode: data_type %r" % data_type)


def stop_gracefully():
    start = time.monotonic()
    run(["podman", "stop", "--time", "30", STATE["name"]], timeout=60)
    took = time.monotonic() - start
    code = run(["podman", "wait", STATE["name"]], quiet=True).stdout.strip()
    logs = run(["podman", "logs", STATE["name"]], quiet=True)
    err = logs.stdout + logs.stderr
    log("stopped in %.2fs, exit status %s" % (took, code))
    if code != "0":
        raise AssertionError("exit status %s; logs:\n%s" % (code, err[-3000:]))
    if "SIGTERM" not in err:
        raise AssertionError("no SIGTERM shutdown in the logs:\n" + err[-3000:])
    if took > 25:
        raise AssertionError("podman stop took %.1fs (SIGKILL?)" % took)


def main():
    if os.geteuid() != 0:
        CASES.check("runs as root (podman, debootstrap)",
                    lambda: (_ for _ in ()).throw(
                        AssertionError("run deploy/container-test as root")))
        return CASES.finish()
    if not timed_check("base image %s" % FLAGS.base_image, base_image):
        return CASES.finish()
    if not timed_check("podman build deploy/Dockerfile", build):
        return CASES.finish()
    timed_check("image runs as a numeric non-root user", image_user)
    timed_check("every shared library resolves in the image", image_libraries)
    timed_check("image size within %d MB" % FLAGS.max_image_mb, image_size)
    try:
        if timed_check("starts --read-only --cap-drop=ALL "
                       "--security-opt=no-new-privileges", start_container):
            timed_check("process: UID 65532, no capabilities, NoNewPrivs",
                        process_confinement)
            timed_check("health SERVING (grpc.health.v1)", with_channel(health))
            timed_check("Decode through the container", with_channel(decode))
            timed_check("PSK exchange through the container "
                        "(Initiate + Respond agree)", with_channel(psk_exchange))
            timed_check("replayed I_MESSAGE refused",
                        with_channel(replay_refused))
            timed_check("mikeyctl from the image, offline and --server",
                        mikeyctl_in_image)
            timed_check("podman stop (SIGTERM): exit 0, graceful",
                        stop_gracefully)
    finally:
        if "name" in STATE:
            run(["podman", "rm", "-f", STATE["name"]], check=False, quiet=True)
    log("timings: " + ", ".join("%s %.1fs" % (n.split(" (")[0], t)
                                for n, t in TIMINGS))
    if IMAGE_SIZE:
        log("image %s: %d bytes" % (FLAGS.image, IMAGE_SIZE["bytes"]))
    return CASES.finish()


if __name__ == "__main__":
    sys.exit(main())
