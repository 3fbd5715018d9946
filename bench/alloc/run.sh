#!/bin/bash
# bench/alloc/run.sh: ClusterIP and NodePort allocation cost as the ranges fill (pure CPU, no
# server, no network). Builds bench/alloc/alloc.c against the Service registry and runs it.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p build/bench
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -Isrc \
	bench/alloc/alloc.c src/lib/svc_*.c src/lib/field_err.c src/lib/meta_validate.c -ljansson \
	-o build/bench/alloc
build/bench/alloc
