#!/bin/bash
# `make run`: the API server in the foreground with its state in ./data. Prints the line to export
# KUBECONFIG once the server has written its kubeconfig. Extra server flags: PORTICO_ARGS.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
cd "$(dirname "$0")/.."

# The machine's own network namespace is pid 1's; where /proc/1 is closed to us, recognise it by
# the fixed inode current kernels give the initial one (PROC_NET_INIT_INO, 0xEFFFFFF9).
init_ns=$(readlink /proc/1/ns/net 2>/dev/null || echo 'net:[4026531833]')
if [ "$init_ns" = "$(readlink /proc/self/ns/net)" ]; then
	cat >&2 <<'EOF'
run: warning: this is the machine's own network namespace, so the API server listens on every
     address of this machine (0.0.0.0:6443). To keep it to yourself, run it in a network namespace
     of its own: see "Trying it in a network namespace of your own" in README.md.
EOF
fi

mkdir -p data
start=$(date +%s)
server_pid=$$
# Once the server has (re)written data/kubeconfig, say how to use it. This helper ends by itself.
(
	for _ in $(seq 600); do
		kill -0 "$server_pid" 2>/dev/null || exit 0
		if [ -s data/kubeconfig ] && [ "$(stat -c %Y data/kubeconfig)" -ge "$start" ]; then
			echo "run: the API server is up; in another shell:"
			echo "    export KUBECONFIG=$PWD/data/kubeconfig"
			exit 0
		fi
		sleep 0.1
	done
	echo "run: no kubeconfig in data/ after 60 s; see the server's messages above" >&2
) &
# shellcheck disable=SC2086
exec build/portico server --data-dir ./data ${PORTICO_ARGS:-}
