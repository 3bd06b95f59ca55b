#!/usr/bin/env bash
# Captures the real output of podnet's gather (the one command `podnet diff` runs on a node, with its
# `pods` section: src/scripts/gather-script.ts) from a lab node with pods, into
# test/fixtures/gather/<case>.out. Run as root after `npm run build`:
# `bash test/capture-gather-fixtures.sh` (PODNET_FIXTURE_OUT=DIR writes elsewhere). It builds a lab
# of its own (name pg + random), always taken down on exit, also on failure.
#
# Cases (node2 of test/fixtures/gather/cluster.yaml, 192.168.1.12, pods 10.244.2.0/24):
#   node2-pods      after `podnet apply`: podnet's pods p2 and p3 (`podnet pod add`), a container
#                   runtime's pod (namespace cni-<uuid>, a 64-hex container id, through the deployed
#                   plugin as containerd calls it), a verify probe pod, and a leftover allocation
#                   (pod p9 whose namespace was deleted by hand: no namespace, no veth).
#   node2-stranded  the same node after `podnet apply --allow-pod-disruption` of cluster-moved.yaml
#                   (node2 moved to 10.244.20.0/24): the pods keep their old addresses.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out_root="${PODNET_FIXTURE_OUT:-$repo_root/test/fixtures/gather}"
lab="pg$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
labdir="/run/podnet/lab/$lab"

podnet() { node "$repo_root/dist/src/cli/main.js" "$@"; }
cleanup() { podnet lab down --name "$lab" > /dev/null || true; rm -f "$labdir-moved.yaml"; }
trap cleanup EXIT

# gather NODE CLUSTERFILE CASE: runs the gather command over the real OpenSSH client.
gather() {
  local command
  command=$(cd "$repo_root" && node --input-type=module -e '
    const { readCluster } = await import("./dist/src/cli/read-cluster.js");
    const { managedFilePaths } = await import("./dist/src/state/node-files.js");
    const { renderGatherCommand } = await import("./dist/src/scripts/gather-script.js");
    const cluster = readCluster(process.argv[1]);
    process.stdout.write(renderGatherCommand(managedFilePaths(cluster), { cni: cluster.cni }));
  ' "$2")
  mkdir -p "$out_root"
  podnet lab ssh "$1" --name "$lab" -- "$command" > "$out_root/$3.out"
}

podnet lab up --name "$lab" --nodes 3 > /dev/null
file="$labdir/cluster.yaml"
podnet apply --no-confirm "$file" > /dev/null
podnet pod add "$file" node2 p2
podnet pod add "$file" node2 p3
podnet pod add "$file" node2 podnet-probe-abcd12-a
podnet pod add "$file" node2 p9
podnet lab ssh node2 --name "$lab" -- ip netns del p9

# A container runtime's pod: its namespace is not named after the container id.
config=$(cd "$repo_root" && node --input-type=module -e '
  const { readCluster } = await import("./dist/src/cli/read-cluster.js");
  const { pluginStdinConfig } = await import("./dist/src/state/node-files.js");
  process.stdout.write(pluginStdinConfig(readCluster(process.argv[1])));
' "$file")
runtime_id=3f2a9c1b7d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeef
runtime_ns=cni-0f3c6e1a-6d4b-4c55-9d1e-2a7b3c4d5e6f
printf '%s' "$config" | podnet lab ssh node2 --name "$lab" -- \
  "ip netns add $runtime_ns && CNI_COMMAND=ADD CNI_CONTAINERID=$runtime_id CNI_NETNS=/run/netns/$runtime_ns CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin /opt/cni/bin/podnet" > /dev/null

gather node2 "$file" node2-pods

sed 's#10\.244\.2\.0/24#10.244.20.0/24#' "$file" > "$labdir-moved.yaml"
podnet apply --no-confirm --allow-pod-disruption "$labdir-moved.yaml" > /dev/null
gather node2 "$labdir-moved.yaml" node2-stranded
echo "captured node2-pods and node2-stranded into $out_root"
