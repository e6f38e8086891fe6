#!/bin/bash
# Runs a Python test script of this package with Debian's /usr/bin/python3
# (python3-grpcio, python3-protobuf; the python3 first on PATH may not have
# them). Arguments: SCRIPT [--flag=RUNFILES_RELATIVE_PATH ...]; each
# --flag=path is made absolute inside the runfiles tree. (The convention of
# tests/e2e/run_python_test.sh, which is private to its package.)
set -euo pipefail
root="${TEST_SRCDIR:?run me with bazel test}/${TEST_WORKSPACE:?}"
script="$root/$1"
shift
args=()
for a in "$@"; do
  case "$a" in
    --*=*) args+=("${a%%=*}=$root/${a#*=}") ;;
    *) args+=("$a") ;;
  esac
done
# -B: no .pyc in the read-only runfiles; -s: no user site-packages.
exec /usr/bin/python3 -B -s "$script" "${args[@]}"
