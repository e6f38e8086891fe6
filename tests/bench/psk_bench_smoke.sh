#!/bin/bash
# Smoke test for //tests/bench:psk_bench: runs every benchmark briefly and
# checks that the binary's self-checks pass (it exits 0) and that it prints
# its summary lines. It asserts nothing about timing.
set -u
bench="$1"
out="${TEST_TMPDIR:-/tmp}/psk_bench_smoke.out"
"$bench" --benchmark_min_time=0.01 >"$out" 2>&1
rc=$?
cat "$out"
if [[ $rc -ne 0 ]]; then
  echo "FAIL: psk_bench exited with status $rc"
  exit 1
fi
status=0
for pattern in \
    '^psk_initiate / primitive floor = [0-9]+\.[0-9][0-9]x' \
    '^psk_respond / primitive floor = [0-9]+\.[0-9][0-9]x' \
    '^parse\+serialize: ours [0-9]+ ns, GStreamer [0-9]+ ns, speedup [0-9]+\.[0-9]x'; do
  if ! grep -Eq "$pattern" "$out"; then
    echo "FAIL: no line matching: $pattern"
    status=1
  fi
done
[[ $status -eq 0 ]] && echo "PASS: psk_bench ran and printed its ratio lines"
exit $status
