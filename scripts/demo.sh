#!/usr/bin/env bash
# npm run demo: a 3-node lab (namespaces with real sshd), then podnet diff → apply → diff, then a pod per
# node and a ping table pod × pod, as root. Leaves nothing behind unless KEEP_LAB=1.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then echo "the demo builds network namespaces: run it as root" >&2; exit 1; fi
bash scripts/install-prereqs.sh
[ -f dist/src/cli/main.js ] || npm run build
podnet() { node dist/src/cli/main.js "$@"; }
lab=default
cluster=examples/lab/cluster.yaml
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

pods_up=0
cleanup() {
  [ "${KEEP_LAB:-}" = 1 ] && return
  # Pods go first, through the plugin's DEL, also when the demo stopped half way.
  [ "$pods_up" = 1 ] && delete_pods >/dev/null 2>&1
  podnet lab down --name "$lab" >/dev/null
}
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

nodes=(node1 node2 node3)
pods=(pod1 pod2 pod3)
addrs=()
delete_pods() {
  for i in "${!nodes[@]}"; do podnet pod del "$cluster" "${nodes[$i]}" "${pods[$i]}" || true; done
  pods_up=0
}
pods_up=1
say "podnet pod add   (one pod per node: a network namespace wired by the deployed CNI plugin)"
for i in "${!nodes[@]}"; do
  line=$(podnet pod add "$cluster" "${nodes[$i]}" "${pods[$i]}")
  echo "$line"
  # "pod pod1 on node1: 10.244.1.2/24 (gateway 10.244.1.1)" → 10.244.1.2
  addrs+=("$(echo "$line" | sed -n 's|^pod [^ ]* on [^ ]*: \([0-9.]*\)/.*|\1|p')")
done

say "podnet pod list $cluster"
podnet pod list "$cluster"

say "ping table: every pod pings every pod (row: from, column: to), one SSH command per row"
printf '%-20s' 'from \ to'
for i in "${!pods[@]}"; do printf '%-20s' "${pods[$i]} ${addrs[$i]}"; done
printf '\n'
for i in "${!nodes[@]}"; do
  # One command on the source pod's node: ping each address from inside the pod's namespace.
  marks=$(podnet lab ssh "${nodes[$i]}" --name "$lab" -- \
    "for a in ${addrs[*]}; do if ip netns exec ${pods[$i]} ping -c1 -W2 -q \$a >/dev/null 2>&1; then echo ok; else echo fail; fi; done")
  printf '%-20s' "${pods[$i]} ${addrs[$i]}"
  for mark in $marks; do
    # The marks are one column wide but three bytes long: pad them by hand (printf counts bytes).
    if [ "$mark" = ok ]; then printf '✓%19s' ''; else printf '✗%19s' ''; fi
  done
  printf '\n'
done

say "podnet verify $cluster   (probe pods on every node: pod ↔ pod, node ↔ pod, source address kept, MTU with DF)"
podnet verify "$cluster"

if [ "${KEEP_LAB:-}" = 1 ]; then
  say "the lab and its pods stay up: podnet lab ssh node1 --name $lab; podnet pod list $cluster; podnet lab down --name $lab"
else
  say "podnet pod del   (DEL through the plugin releases each address, then the namespace goes)"
  delete_pods
fi
