#!/bin/bash
# Soak of one mikeyd: closed-loop capacity, then a long open-loop run at a
# fraction of it, watching errors, latency and mikeyd's VmRSS over time.
# Not a CI test (it takes about half an hour); results go to the lead.
#
#   bazel build -c opt //service:mikeyd //tests/load:loadgen
#   tests/load/soak.sh [--rpcs="respond initiate"] [--total_seconds=600]
#                      [--fraction=0.8] [--capacity=C] [--heap_every=60]
#                      [--out=/tmp/soak-result.txt]
#
# For each RPC of --rpcs: loadgen closed loop for 10 s (capacity C; or
# --capacity, e.g. the open-loop capacity read off tests/load/sweep.sh: the
# highest offered rate the server still keeps up with), then one open-loop
# run of --total_seconds (at most 900, loadgen's limit) at --fraction x C
# with --mikeyd_pid, against one mikeyd that runs for the whole soak. The
# binaries are copied first, so builds of others during the soak do not
# matter. Prints (and writes to --out) each loadgen summary and JSON line,
# then per run: errors, p50/p99/p99.9, and VmRSS in the first and the last
# minute (mean and max of loadgen's 1 s samples).
#
# Respond and its replay cache: Respond remembers every accepted I_MESSAGE
# in its in-memory replay cache until the message's timestamp leaves the
# clock-skew window, so its RSS grows with the calls of the last max_skew
# seconds by design (bounded by replay.memory_capacity), then levels off
# once entries expire as fast as they come. loadgen makes each I_MESSAGE
# during the run (--respond_psk_file, with the keystore's PSK), a fraction
# of a second before it is sent, so one run can last the whole soak. The
# configuration sets replay.max_skew to 60s: at 17 000/s that is about 1
# million live entries, under replay.memory_capacity (raised to 4000000).
# What shows "no growth per request" is therefore (a) Initiate, which keeps
# no per-call state: its RSS must be flat; (b) Respond: RSS must level off
# after the first minute and stay flat for the rest of the run.
# Audit log to /dev/null (as in docs/PERFORMANCE.md).
set -euo pipefail
cd "$(dirname "$0")/../.."

rpcs="respond initiate"
total_seconds=600
fraction=0.8
capacity=""
heap_every=60
out=/tmp/soak-result.txt
for a in "$@"; do
  case "$a" in
    --rpcs=*) rpcs="${a#*=}" ;;
    --total_seconds=*) total_seconds="${a#*=}" ;;
    --fraction=*) fraction="${a#*=}" ;;
    --capacity=*) capacity="${a#*=}" ;;
    --heap_every=*) heap_every="${a#*=}" ;;
    --out=*) out="${a#*=}" ;;
    *) echo "usage: $0 [--rpcs=\"respond initiate\"] [--total_seconds=S] [--fraction=F] [--capacity=C] [--heap_every=S] [--out=FILE]" >&2; exit 2 ;;
  esac
done

dir="$(mktemp -d)"
mikeyd_pid=""
sampler_pid=""
cleanup() {
  if [ -n "$sampler_pid" ]; then kill "$sampler_pid" 2>/dev/null || true; fi
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
 "replay": {"max_skew": "60s", "memory_capacity": 4000000},
 "metrics": {"listen": "127.0.0.1:0", "heap_stats": true}}
JSON

: > "$out"
log() { echo "$@" | tee -a "$out"; }

"$dir/mikeyd" --config="$dir/mikeyd.json" --listen=127.0.0.1:0 >"$dir/mikeyd.out" 2>"$dir/mikeyd.err" &
mikeyd_pid=$!
for _ in $(seq 100); do grep -q listening "$dir/mikeyd.out" && break; sleep 0.1; done
port="$(sed -n 's/.*listening on 127.0.0.1://p' "$dir/mikeyd.out")"
[ -n "$port" ] || { cat "$dir/mikeyd.err"; exit 1; }
target="127.0.0.1:$port"
for _ in $(seq 50); do grep -q "metrics on" "$dir/mikeyd.out" && break; sleep 0.1; done
metrics_port="$(sed -n 's/.*metrics on 127.0.0.1://p' "$dir/mikeyd.out")"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$mikeyd_pid/status"; }
log "# soak of mikeyd $(date -u +%FT%TZ) on $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
log "# mikeyd $(sha256sum "$dir/mikeyd" | cut -c1-16) pid $mikeyd_pid on $target; config: $(tr -d '\n' < "$dir/mikeyd.json" | sed "s|$dir|DIR|g")"
log "# rpcs: $rpcs; ${total_seconds}s each at $fraction of capacity; VmRSS at start $(rss) KiB"

# Every 60 s: the allocator's live heap (mikeyd_heap_in_use_bytes), what it
# holds, and VmRSS. RSS alone cannot tell a leak from glibc keeping freed
# memory in its arenas; the live heap can. Each read stalls mikeyd's
# allocating threads while glibc walks its free lists (~50 ms with a million
# replay-cache entries), which shows in p99.9; --heap_every=0 turns it off.
heap_sampler() {
  local t0=$SECONDS
  while kill -0 "$mikeyd_pid" 2>/dev/null; do
    /usr/bin/python3 - "$metrics_port" "$((SECONDS - t0))" "$(rss)" <<'PY' >> "$out" || true
import sys, time, urllib.request
port, t, rss = sys.argv[1], sys.argv[2], int(sys.argv[3])
t0 = time.monotonic()
text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=5).read().decode()
scrape_ms = (time.monotonic() - t0) * 1000
v = {l.split()[0]: float(l.split()[1]) for l in text.splitlines()
     if l.startswith("mikeyd_heap_")}
print("# heap t=%ss: live %.1f MiB, held %.1f MiB, VmRSS %.1f MiB "
      "(scrape %.1f ms)" % (
    t, v.get("mikeyd_heap_in_use_bytes", -1) / 2**20,
    v.get("mikeyd_heap_held_bytes", -1) / 2**20, rss / 1024, scrape_ms))
PY
    sleep "$heap_every"
  done
}
if [ "$heap_every" -gt 0 ]; then
  heap_sampler &
  sampler_pid=$!
fi

lg() {
  "$dir/loadgen" --target="$target" --key_id=psk --mikeyd_pid="$mikeyd_pid" \
    --respond_psk_file="$dir/keys/psk.v1" "$@" 2>>"$dir/loadgen.err" | tee -a "$out"
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
  run_seconds=$(( total_seconds < 900 ? total_seconds : 900 ))
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
