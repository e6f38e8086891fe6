#!/bin/bash
# Smoke test for //tests/bench:asym_bench: runs every benchmark briefly and
# checks that the binary's self-checks pass (it exits 0) and that it prints
# its ratio lines. It asserts nothing about timing.
set -u
bench="$1"
out="${TEST_TMPDIR:-/tmp}/asym_bench_smoke.out"
"$bench" --benchmark_min_time=0.01 >"$out" 2>&1
rc=$?
cat "$out"
if [[ $rc -ne 0 ]]; then
  echo "FAIL: asym_bench exited with status $rc"
  exit 1
fi
ratio='= [0-9]+\.[0-9][0-9]x \([0-9]+ ns / [0-9]+ ns\)'
status=0
patterns=()
for mode in dh dhhmac rsa_r; do
  for step in initiate respond complete exchange; do
    patterns+=("^${mode}_${step} / primitive floor ${ratio}")
  done
done
for step in initiate respond exchange; do
  patterns+=("^pk_${step} / primitive floor ${ratio}")
done
patterns+=('^pk_complete: [0-9]+ ns, no asymmetric operation')
for pattern in "${patterns[@]}"; do
  if ! grep -Eq "$pattern" "$out"; then
    echo "FAIL: no line matching: $pattern"
    status=1
  fi
done
[[ $status -eq 0 ]] && echo "PASS: asym_bench ran and printed its ratio lines"
exit $status
