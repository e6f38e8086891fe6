#!/bin/bash
# Throughput of mikeyd with 1..3 replicas behind nginx, and of one replica
# direct (docs/PERFORMANCE.md). Starts redis-server, the replicas (shared
# keystore, Redis replay cache) and nginx on loopback under a temporary
# directory, runs loadgen, stops everything by PID.
#   bazel build //service:mikeyd //tests/load:loadgen
#   tests/load/bench_scaleout.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-10}"
bin=bazel-bin
dir="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mkdir "$dir/keys" "$dir/nginx"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/keys/psk.v1"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/keys/state-key.v1"
rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --daemonize no >"$dir/redis.log" &
pids+=($!)
sleep 0.5
cat > "$dir/mikeyd.json" <<JSON
{"plaintext_loopback_ok": true, "keystore": {"dir": "$dir/keys"},
 "audit": {"path": "/dev/null"},
 "replay": {"backend": "redis", "redis_address": "127.0.0.1:$rport"}}
JSON
ports=()
for i in 1 2 3; do
  "$bin/service/mikeyd" --config="$dir/mikeyd.json" --listen=127.0.0.1:0 >"$dir/m$i.out" 2>"$dir/m$i.err" &
  pids+=($!)
  for _ in $(seq 50); do grep -q listening "$dir/m$i.out" && break; sleep 0.1; done
  ports+=("$(sed -n 's/.*listening on 127.0.0.1://p' "$dir/m$i.out")")
done
lg() { "$bin/tests/load/loadgen" --key_id=psk --duration="${secs}s" "$@" | tail -1; }
user=""; [ "$(id -u)" = 0 ] && user="user $(id -un) $(id -gn);"
for n in 1 2 3; do
  lport=$(free_port)
  servers=""
  for p in "${ports[@]:0:$n}"; do servers+="server 127.0.0.1:$p; "; done
  cat > "$dir/nginx/nginx.conf" <<CONF
$user
worker_processes 1; error_log $dir/nginx/error.log warn; pid $dir/nginx/nginx.pid;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $dir/nginx/b; proxy_temp_path $dir/nginx/p;
  fastcgi_temp_path $dir/nginx/f; uwsgi_temp_path $dir/nginx/u; scgi_temp_path $dir/nginx/s;
  upstream m { $servers keepalive 64; }
  server { listen 127.0.0.1:$lport http2; http2_max_concurrent_streams 1024;
    location / { grpc_pass grpc://m; } } }
CONF
  nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -e "$dir/nginx/error.log" -g 'daemon off;' &
  ngx=$!
  sleep 0.5
  for rpc in respond initiate; do
    lg --target=127.0.0.1:$lport --rpc=$rpc --label="nginx x$n replicas"
  done
  kill -QUIT $ngx; wait $ngx || true
done
for rpc in respond initiate; do
  lg --target=127.0.0.1:${ports[0]} --rpc=$rpc --label="direct x1 replica"
done
