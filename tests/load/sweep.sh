#!/bin/bash
# Throughput and latency of one mikeyd against offered load, for the plot in
# docs/PERFORMANCE.md. Starts mikeyd --echo_service (embedded default: demo
# keystore, in-memory replay cache, audit to /dev/null) on a free loopback
# port, finds each RPC's closed-loop capacity, then offers 10 %, 20 %, ...
# 100 % of it open loop (latency from each call's scheduled send time) and
# writes one JSON line per run and an SVG plot. The RPCs: Echo sized like
# Initiate (the trivial baseline, tests/load/ratio.sh), PSK Initiate, PSK
# Respond.
#
#   bazel build -c opt //service:mikeyd //tests/load:loadgen
#   tests/load/sweep.sh [SECONDS_PER_POINT] [OUT_DIR]    # needs gnuplot-nox
#
# Defaults: 5 s per point, OUT_DIR docs/perf. Writes OUT_DIR/sweep.jsonl,
# OUT_DIR/sweep.svg. State the machine's load (uptime) with the figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-5}"
out="${2:-docs/perf}"
bin=bazel-bin
mkdir -p "$out"
dir="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
"$bin/service/mikeyd" --listen=127.0.0.1:0 --audit_log=/dev/null --echo_service >"$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 100); do grep -q listening "$dir/out" && break; sleep 0.1; done
port=$(sed -n 's/.*listening on 127.0.0.1://p' "$dir/out")
lg() { "$bin/tests/load/loadgen" --target="127.0.0.1:$port" --duration="${secs}s" "$@" 2>/dev/null | tail -1; }
jsonl="$out/sweep.jsonl"
: > "$jsonl"
echo "# $(date -u +%FT%TZ) $(nproc) cores, $(uptime | sed 's/.*load/load/')" >&2
# Echo moves the octets of an Initiate (47 request, 413 response).
echo_flags="--echo_request_bytes=41 --echo_response_bytes=410"
for rpc in echo initiate respond; do
  flags=()
  [ "$rpc" = echo ] && flags=($echo_flags)
  cap=$(lg --rpc="$rpc" "${flags[@]}" --label="$rpc capacity" | tee -a "$jsonl" |
    python3 -c 'import json,sys; print(int(json.load(sys.stdin)["throughput"]))')
  echo "$rpc: closed-loop capacity $cap/s" >&2
  for pct in 10 20 30 40 50 60 70 80 90 100; do
    rate=$((cap * pct / 100))
    lg --rpc="$rpc" "${flags[@]}" --rate="$rate" --concurrency=1024 --label="$rpc $pct%" >> "$jsonl"
    tail -1 "$jsonl" | python3 -c 'import json,sys; j=json.load(sys.stdin); print("  %s offered %6d/s: %6d OK/s, %d failed, p50 %.0f us, p99 %.0f us" % (j["rpc"], j["rate"], j["throughput"], j["failed"], j["p50_us"], j["p99_us"]))' >&2
  done
done

# Columns per RPC: offered, achieved, p50 ms, p99 ms.
for rpc in echo initiate respond; do
  python3 - "$jsonl" "$rpc" > "$dir/$rpc.dat" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    j = json.loads(line)
    if j["rpc"] == sys.argv[2] and j["rate"] > 0:
        print(j["rate"], j["throughput"], j["p50_us"] / 1000, j["p99_us"] / 1000)
PY
done
gnuplot <<GP
set terminal svg size 960,420 font "sans,11"
set output "$out/sweep.svg"
set multiplot layout 1,2 title "mikeyd, one process, loopback, $(nproc) cores (loadgen on the same cores)"
set xlabel "offered load (calls/s)"
set ylabel "achieved (calls/s)"
set key top left
set grid
plot "$dir/echo.dat" u 1:2 w lp t "Echo (trivial RPC)", \
     "$dir/initiate.dat" u 1:2 w lp t "PSK Initiate", \
     "$dir/respond.dat" u 1:2 w lp t "PSK Respond"
set ylabel "latency (ms, log scale)"
set logscale y
plot "$dir/echo.dat" u 1:4 w lp t "Echo p99", \
     "$dir/initiate.dat" u 1:4 w lp t "Initiate p99", \
     "$dir/respond.dat" u 1:4 w lp t "Respond p99", \
     "$dir/initiate.dat" u 1:3 w l dt 2 t "Initiate p50", \
     "$dir/respond.dat" u 1:3 w l dt 2 t "Respond p50"
unset multiplot
GP
echo "wrote $jsonl and $out/sweep.svg" >&2
