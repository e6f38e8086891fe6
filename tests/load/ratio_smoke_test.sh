#!/bin/bash
# Runs tests/load/ratio.sh for one short round: mikeyd --echo_service serves
# Echo, loadgen drives every RPC of the comparison without an error, and the
# script prints its ratio lines. Asserts nothing about speed (that is
# measured on an idle machine, docs/PERFORMANCE.md), only that the numbers
# exist and are positive.
set -u
out="${TEST_TMPDIR:-/tmp}/ratio.out"
MIKEYD="$1" LOADGEN="$2" "$3" 1 1 >"$out" 2>&1
rc=$?
cat "$out"
if [[ $rc -ne 0 ]]; then
  echo "FAIL: ratio.sh exited with status $rc"
  exit 1
fi
status=0
for pattern in \
    '^initiate / echo \(same octets\) = [1-9][0-9]* %' \
    '^respond / echo \(same octets\) = [1-9][0-9]* %' \
    '^echo-i +[1-9][0-9]* calls/s' \
    '^health +[1-9][0-9]* calls/s'; do
  if ! grep -Eq "$pattern" "$out"; then
    echo "FAIL: no line matching: $pattern"
    status=1
  fi
done
[[ $status -eq 0 ]] && echo "PASS: ratio.sh ran every RPC and printed its ratios"
exit $status
