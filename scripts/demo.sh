#!/usr/bin/env bash
# npm run demo: a 3-node lab (namespaces with real sshd), then podnet diff → apply → diff, as root.
# Leaves nothing behind unless KEEP_LAB=1.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then echo "the demo builds network namespaces: run it as root" >&2; exit 1; fi
bash scripts/install-prereqs.sh
[ -f dist/src/cli/main.js ] || npm run build
podnet() { node dist/src/cli/main.js "$@"; }
lab=default
cluster=examples/lab/cluster.yaml
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cleanup() { [ "${KEEP_LAB:-}" = 1 ] || podnet lab down --name "$lab" >/dev/null; }
trap cleanup EXIT

say "podnet lab up --name $lab   (3 nodes: namespaces, each with its own sshd)"
podnet lab up --name "$lab" --nodes 3

say "podnet diff $cluster   (exit 2: changes pending)"
set +e; podnet diff "$cluster"; echo "exit code: $?"; set -e

say "podnet apply $cluster"
podnet apply "$cluster"

say "podnet diff $cluster   (exit 0: every node in sync)"
podnet diff "$cluster"; echo "exit code: $?"

for n in node1 node2 node3; do
  say "$n: bridge and routes"
  podnet lab ssh "$n" --name "$lab" -- 'ip -br addr show dev v-net-0; ip route show table main'
done
if [ "${KEEP_LAB:-}" = 1 ]; then
  say "the lab stays up: podnet lab ssh node1 --name $lab; podnet lab down --name $lab"
fi
