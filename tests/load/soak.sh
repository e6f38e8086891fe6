#!/bin/bash
# Soak of one mikeyd: closed-loop capacity, then a long open-loop run at a
# fraction of it, watching errors, latency and mikeyd's VmRSS over time.
# Not a CI test (it takes about half an hour); results go to the lead.
#
#   bazel build -c opt //service:mikeyd //tests/load:loadgen
#   tests/load/soak.sh [--rpcs="respond initiate"] [--total_seconds=600]
#                      [--fraction=0.8] [--capacity=C] [--out=/tmp/soak-result.txt]
#
# For each RPC of --rpcs: loadgen closed loop for 10 s (capacity C; or
# --capacity, e.g. the open-loop capacity read off tests/load/sweep.sh: the
# highest offered rate the server still keeps up with), then
# open-loop runs at --fraction x C with --mikeyd_pid, back to back, adding
# up to --total_seconds, all against one mikeyd that runs for the whole
# soak. A run lasts at most 300 s (loadgen's limit); a Respond run also at
# most as long as 2 million pooled I_MESSAGEs last (loadgen's pool limit:
# about 100 s at 18000/s). The binaries are copied first, so builds of others
# during the soak do not matter. Prints (and writes to --out) each loadgen
# summary and JSON line, then per run: errors, p50/p99/p99.9, and VmRSS in
# the first and the last minute (mean and max of loadgen's 1 s samples).
#
# Respond and its replay cache: Respond remembers every accepted I_MESSAGE
# in its in-memory replay cache until the message's timestamp leaves the
# clock-skew window, so its RSS grows with the calls of the last max_skew
# seconds by design (bounded by replay.memory_capacity). loadgen makes the
# I_MESSAGEs of a Respond run before the run (Initiate, closed loop, which
# also fills the gaps between Respond runs) and sends them in the order made:
# a message waits for as long as the pool took to make (100-250 s here) or
# about the run's length, whichever is more, before it is sent. The
# configuration keeps replay.max_skew at 300s (the default) so that none is
# stale, and raises replay.memory_capacity to 4000000 (the default 1048576
# is less than what one 100 s run at 18000/s leaves in the cache: about 1.8
# million entries, none expiring before the run ends). A small capacity
# (say 100000) cannot work with a pool made in advance, for the same
# reason. What shows "no growth per request" is therefore (a) Initiate,
# which keeps no per-call state: its RSS must be flat; (b) Respond: RSS must
# level off from one run to the next (a run's entries have expired by the
# end of the next pool).
# Audit log to /dev/null (as in docs/PERFORMANCE.md).
set -euo pipefail
cd "$(dirname "$0")/../.."

rpcs="respond initiate"
total_seconds=600
fraction=0.8
capacity=""
out=/tmp/soak-result.txt
for a in "$@"; do
  case "$a" in
    --rpcs=*) rpcs="${a#*=}" ;;
    --total_seconds=*) total_seconds="${a#*=}" ;;
    --fraction=*) fraction="${a#*=}" ;;
    --capacity=*) capacity="${a#*=}" ;;
    --out=*) out="${a#*=}" ;;
    *) echo "usage: $0 [--rpcs=\"respond initiate\"] [--total_seconds=S] [--fraction=F] [--capacity=C] [--out=FILE]" >&2; exit 2 ;;
  esac
done

dir="$(mktemp -d)"
mikeyd_pid=""
cleanup() {
  if [ -n "$mikeyd_pid" ]; then kill "$mikeyd_pid" 2>/dev/null || true; wait "$mikeyd_pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
cp bazel-bin/service/mikeyd bazel-bin/tests/load/loadgen "$dir/"
mkdir "$dir/keys"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/keys/psk.v1"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/keys/state-key.v1"
cat > "$dir/mikeyd.json" <<JSON
{"plaintext_loopback_ok": true, "keystore": {"dir": "$dir/keys"},
 "audit": {"path": "/dev/null"},
 "replay": {"max_skew": "300s", "memory_capacity": 4000000}}
JSON

: > "$out"
log() { echo "$@" | tee -a "$out"; }

"$dir/mikeyd" --config="$dir/mikeyd.json" --listen=127.0.0.1:0 >"$dir/mikeyd.out" 2>"$dir/mikeyd.err" &
mikeyd_pid=$!
for _ in $(seq 100); do grep -q listening "$dir/mikeyd.out" && break; sleep 0.1; done
port="$(sed -n 's/.*listening on 127.0.0.1://p' "$dir/mikeyd.out")"
[ -n "$port" ] || { cat "$dir/mikeyd.err"; exit 1; }
target="127.0.0.1:$port"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$mikeyd_pid/status"; }
log "# soak of mikeyd $(date -u +%FT%TZ) on $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
log "# mikeyd $(sha256sum "$dir/mikeyd" | cut -c1-16) pid $mikeyd_pid on $target; config: $(tr -d '\n' < "$dir/mikeyd.json" | sed "s|$dir|DIR|g")"
log "# rpcs: $rpcs; ${total_seconds}s each at $fraction of capacity; VmRSS at start $(rss) KiB"

lg() {
  "$dir/loadgen" --target="$target" --key_id=psk --mikeyd_pid="$mikeyd_pid" "$@" 2>>"$dir/loadgen.err" | tee -a "$out"
}

for rpc in $rpcs; do
  log ""
  if [ -n "$capacity" ]; then
    log "## $rpc: capacity given: $capacity/s"
    cap="$capacity"
  else
    log "## $rpc: closed-loop capacity (10 s)"
    cap="$(lg --rpc="$rpc" --duration=10s --label="$rpc capacity" | tail -1 |
           /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["throughput"])')"
  fi
  rate="$(/usr/bin/python3 -c "print(int($cap * $fraction))")"
  run_seconds=300
  if [ "$rpc" = respond ]; then
    # loadgen pools rate x seconds x 1.1 + 100 I_MESSAGEs, at most 2000000.
    run_seconds="$(/usr/bin/python3 -c "print(min(300, int((2000000 - 100) / (1.1 * $rate)) - 1))")"
  fi
  runs="$(( (total_seconds + run_seconds - 1) / run_seconds ))"
  log "## $rpc: capacity $cap OK/s; open loop at $rate/s, $runs run(s) of ${run_seconds}s"
  for run in $(seq "$runs"); do
    log "## $rpc run $run/$runs: ${run_seconds}s open loop at $rate/s; $(date -u +%T); load average $(cut -d' ' -f1-3 /proc/loadavg); VmRSS $(rss) KiB"
    lg --rpc="$rpc" --rate="$rate" --duration="${run_seconds}s" --warmup=0s \
       --concurrency=2048 --label="$rpc soak run $run" >/dev/null
  done
done
log ""
log "# end $(date -u +%FT%TZ); load average $(cut -d' ' -f1-3 /proc/loadavg); mikeyd $(grep -E '^(VmRSS|VmHWM|Threads)' /proc/$mikeyd_pid/status | tr -s ' \t' ' ' | tr '\n' ' '); fds $(ls /proc/$mikeyd_pid/fd | wc -l)"

/usr/bin/python3 - "$out" <<'PY' | tee -a "$out"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print("\n# summary (latencies in ms; VmRSS in MiB: mean / max of the 1 s samples)")
print("%-22s %9s %9s %7s %8s %8s %8s %8s  %-17s %-17s" % (
    "run", "offered/s", "OK/s", "failed", "p50", "p99", "p99.9", "max",
    "RSS first minute", "RSS last minute"))
for r in rows:
    s = r["rss_kib"]["series"]
    first, last = s[:60], s[-60:]
    fmt = lambda xs: ("%.1f / %.1f" % (sum(xs) / len(xs) / 1024, max(xs) / 1024)
                      if xs else "-")
    print("%-22s %9.0f %9.0f %7d %8.2f %8.2f %8.2f %8.1f  %-17s %-17s" % (
        r["label"], r["rate"], r["throughput"], r["failed"], r["p50_us"] / 1e3,
        r["p99_us"] / 1e3, r["p999_us"] / 1e3, r["max_us"] / 1e3,
        fmt(first), fmt(last)))
    if r["errors"]:
        print("    errors: %r" % r["errors"])
    if r.get("late"):
        print("    %d calls sent >1 ms behind schedule (loadgen itself late)" % r["late"])
PY
if [ -s "$dir/loadgen.err" ]; then
  log ""
  log "# loadgen stderr:"
  tee -a "$out" < "$dir/loadgen.err"
fi
