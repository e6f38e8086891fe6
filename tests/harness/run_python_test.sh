#!/bin/bash
# Runs a Python test script with Debian's interpreter (/usr/bin/python3, which
# has python3-grpcio and python3-protobuf; the python3 first on PATH may not).
# Arguments: SCRIPT [--flag=RUNFILES_RELATIVE_PATH ...]; each --flag=path is
# made absolute inside the runfiles tree.
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
