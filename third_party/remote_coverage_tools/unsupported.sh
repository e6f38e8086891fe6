#!/bin/sh
echo "bazel coverage is not supported offline; see README" >&2
exit 1
