#!/bin/bash
# The issue's service goal, measured: PSK Initiate and Respond throughput as a
# fraction of a trivial echo RPC's, same server build, same client, same
# machine, in the same run. Starts mikeyd --echo_service (embedded default:
# demo keystore, in-memory replay cache, audit to /dev/null) on a free
# loopback port, then for each round runs, closed loop, back to back:
#   echo sized like Initiate, Initiate, echo sized like Respond, Respond,
#   health
#   echo sized like Initiate with 2, 4 and 8 us of busy work per call
# ("sized like": the same request and response octets, so that the echo
# moves what the RPC moves and the comparison is of the work). Prints the
# median over the rounds of each run's throughput and CPU per call of client
# (loadgen) and server (mikeyd), and of the ratios. The echo-with-work runs
# show what any handler of that many microseconds keeps of the trivial
# RPC's throughput on this machine, whatever it does.
#
#   bazel build -c opt //service:mikeyd //tests/load:loadgen
#   tests/load/ratio.sh [ROUNDS] [SECONDS] [LOADGEN FLAGS...]
#
# Defaults: 5 rounds of 5 s per run, loadgen defaults (2 channels, 64 in
# flight). Run it on an otherwise idle machine; state its load (printed).
# MIKEYD and LOADGEN name the binaries (default: bazel-bin's); the test
# //tests/load:ratio_smoke_test runs it for one short round.
set -euo pipefail
mikeyd="${MIKEYD:-}"
loadgen="${LOADGEN:-}"
if [ -z "$mikeyd" ] || [ -z "$loadgen" ]; then
  cd "$(dirname "$0")/../.."
  mikeyd="${mikeyd:-bazel-bin/service/mikeyd}"
  loadgen="${loadgen:-bazel-bin/tests/load/loadgen}"
fi
rounds="${1:-5}"
secs="${2:-5}"
shift $(($# > 2 ? 2 : $#))
extra=("$@")  # loadgen flags for every run
dir="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
"$mikeyd" --listen=127.0.0.1:0 --audit_log=/dev/null --echo_service \
  >"$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 100); do grep -q listening "$dir/out" && break; sleep 0.1; done
port=$(sed -n 's/.*listening on 127.0.0.1://p' "$dir/out")
[ -n "$port" ] || { cat "$dir/err" >&2; exit 1; }
lg() {
  "$loadgen" --target="127.0.0.1:$port" --mikeyd_pid="$pid" \
    "$@" 2>/dev/null | tail -1
}
# The Echo flags that move the octets of RPC $1, read off a 1 s run of it.
# EchoRequest{payload: P octets, response_size: R} is 1 + len(varint P) + P
# + (R ? 1 + len(varint R) : 0) octets; EchoResponse{payload: R} 1 +
# len(varint R) + R. Solve for P and R.
echo_like() {
  lg --rpc="$1" --duration=1s --warmup=0s "${extra[@]}" | python3 -c '
import json, sys
def varint_len(n):
    return len(bin(n)) // 7 + 1 if n else 1
j = json.load(sys.stdin)
req, resp = round(j["request_octets"]), round(j["response_octets"])
r = next(r for r in range(resp, -1, -1) if 1 + varint_len(r) + r <= resp)
extra = 1 + varint_len(r) if r else 0
p = next(p for p in range(req, -1, -1) if 1 + varint_len(p) + p + extra <= req)
print(f"--echo_request_bytes={p} --echo_response_bytes={r}")'
}
echo "# $(date -u +%FT%TZ) $(nproc) cores, $(uptime | sed 's/.*load/load/'), ${rounds} rounds of ${secs}s, loadgen $*" >&2
init_echo=$(echo_like initiate)
resp_echo=$(echo_like respond)
echo "echo like Initiate: $init_echo; like Respond: $resp_echo" >&2
results="$dir/results.jsonl"
for round in $(seq "$rounds"); do
  for spec in "echo-i echo $init_echo" "initiate initiate" \
              "echo-r echo $resp_echo" "respond respond" "health health" \
              "echo-w2 echo $init_echo --echo_server_work_us=2" \
              "echo-w4 echo $init_echo --echo_server_work_us=4" \
              "echo-w8 echo $init_echo --echo_server_work_us=8"; do
    read -r name rpc flags <<< "$spec"
    # $flags: the --echo_* flags, split on purpose.
    # shellcheck disable=SC2086
    lg --rpc="$rpc" --duration="${secs}s" --label="$name $round" $flags \
      "${extra[@]}" >> "$results"
  done
done
python3 - "$results" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    j = json.loads(line)
    name, rnd = j["label"].split()
    runs.setdefault(name, []).append(j)
failed = [(j["label"], j["failed"], j["errors"]) for rs in runs.values()
          for j in rs if j["failed"] > 0]
if failed:
    print("FAILED calls:", failed)
    sys.exit(1)
def med(name, key):
    return statistics.median(r[key] for r in runs[name])
for name in ("echo-i", "initiate", "echo-r", "respond", "health", "echo-w2",
             "echo-w4", "echo-w8"):
    print("%-9s %8.0f calls/s (median of %d; min %.0f, max %.0f)  CPU/call: "
          "client %.1f us, server %.1f us  octets %.0f/%.0f" % (
              name, med(name, "throughput"), len(runs[name]),
              min(r["throughput"] for r in runs[name]),
              max(r["throughput"] for r in runs[name]),
              med(name, "client_cpu_us"), med(name, "server_cpu_us"),
              med(name, "request_octets"), med(name, "response_octets")))
for rpc, base in (("initiate", "echo-i"), ("respond", "echo-r")):
    per_round = [a["throughput"] / b["throughput"]
                 for a, b in zip(runs[rpc], runs[base])]
    print("%s / echo (same octets) = %.0f %% (median of rounds: %s)" % (
        rpc, 100 * statistics.median(per_round),
        " ".join("%.0f" % (100 * x) for x in per_round)))
    per_round_h = [a["throughput"] / b["throughput"]
                   for a, b in zip(runs[rpc], runs["health"])]
    print("%s / health = %.0f %%" % (rpc, 100 * statistics.median(per_round_h)))
for work in (2, 4, 8):
    name = "echo-w%d" % work
    per_round = [a["throughput"] / b["throughput"]
                 for a, b in zip(runs[name], runs["echo-i"])]
    print("echo + %d us of server work / echo = %.0f %%" % (
        work, 100 * statistics.median(per_round)))
PY
