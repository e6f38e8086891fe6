#!/bin/bash
# Runs scaleout_test.py with Debian's /usr/bin/python3 (python3-grpcio,
# python3-protobuf), each --flag=PATH made absolute in the runfiles tree.
# (The same convention as tests/e2e/run_python_test.sh, which is private to
# its package.)
set -euo pipefail
root="${TEST_SRCDIR:?run me with bazel test}/${TEST_WORKSPACE:?}"
args=()
for a in "$@"; do
  case "$a" in
    --*=*) args+=("${a%%=*}=$root/${a#*=}") ;;
    *) args+=("$a") ;;
  esac
done
exec /usr/bin/python3 -B -s "$root/tests/load/scaleout_test.py" "${args[@]}"
