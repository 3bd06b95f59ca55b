#!/usr/bin/env bash
# Captures real `ip -j` output from throw-away network namespaces into test/fixtures/ip/<case>/:
#   links.json  = ip -n NS -j -d link show
#   addrs.json  = ip -n NS -j addr show
#   routes.json = ip -n NS -j route show table main
#   ip_forward  = ip netns exec NS cat /proc/sys/net/ipv4/ip_forward
# Run as root from anywhere: `bash test/capture-fixtures.sh`. Re-running rewrites the fixtures
# (MAC and IPv6 link-local addresses change; nothing the planner reads does). PODNET_FIXTURE_OUT=DIR
# writes the cases under DIR instead (test/core/capture-fixtures.test.ts does, to check them).
#
# Each case gets a node namespace whose eth0 is one end of a veth pair; the other end sits in a
# "switch" namespace of the same case, so nothing ever appears in the root namespace. The node
# address is 192.168.1.1X/24 (X = node number) on the node network 192.168.1.0/24. Every
# namespace is named pnfix-<random>-…, and all of them are deleted on exit, also on failure.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out_root="${PODNET_FIXTURE_OUT:-$repo_root/test/fixtures/ip}"
# shellcheck source=test/fixture-netns.sh
source "$repo_root/test/fixture-netns.sh"
fixture_netns_init capture-fixtures.sh pnfix

# new_node CASE NODE_NUMBER → creates "$run_id-CASE-sw" and "$run_id-CASE-node", with the node's
# eth0 up at 192.168.1.1<NODE_NUMBER>/24 and lo up; sets $ns to the node namespace.
new_node() {
  local case_name=$1 number=$2
  local sw="$run_id-$case_name-sw"
  ns="$run_id-$case_name-node"
  ip netns add "$sw"
  created_namespaces+=("$sw")
  ip netns add "$ns"
  created_namespaces+=("$ns")
  ip -n "$sw" link add "vn$number" type veth peer name eth0 netns "$ns"
  ip -n "$sw" link set "vn$number" up
  ip -n "$ns" link set lo up
  ip -n "$ns" address add "192.168.1.1$number/24" dev eth0
  ip -n "$ns" link set eth0 up
}

# podnet_bridge NS NAME ADDRESS: a bridge as podnet makes it (alias podnet, up, address).
podnet_bridge() {
  local target=$1 name=$2 address=$3
  ip -n "$target" link add "$name" type bridge
  ip -n "$target" link set dev "$name" alias podnet
  ip -n "$target" address add "$address" dev "$name"
  ip -n "$target" link set dev "$name" up
}

ip_forward() {
  ip netns exec "$1" sysctl -q -w "net.ipv4.ip_forward=$2"
}

# capture CASE [ROUTE_PROTOS_FILE]: writes the four files of the case from $ns. With a second
# argument, routes are listed while /etc/iproute2/rt_protos.d holds that file (in a private mount
# namespace), so protocol 201 prints by its name.
capture() {
  local case_name=$1 protos_file=${2:-}
  local dir="$out_root/$case_name"
  rm -rf "$dir"
  mkdir -p "$dir"
  ip -n "$ns" -j -d link show >"$dir/links.json"
  ip -n "$ns" -j addr show >"$dir/addrs.json"
  if [[ -n $protos_file ]]; then
    unshare --mount --propagation private sh -c '
      mount -t tmpfs tmpfs /etc/iproute2/rt_protos.d &&
      cp "$1" /etc/iproute2/rt_protos.d/podnet.conf &&
      ip -n "$2" -j route show table main' sh "$protos_file" "$ns" >"$dir/routes.json"
  else
    ip -n "$ns" -j route show table main >"$dir/routes.json"
  fi
  ip netns exec "$ns" cat /proc/sys/net/ipv4/ip_forward >"$dir/ip_forward"
  echo "captured $case_name"
}

# The converged state of node N of the classic 3-node topology (nodes 192.168.1.11–13, subnets
# 10.244.N.0/24, bridge v-net-0): bridge, its address, one proto-201 route per peer, forwarding on.
converge_classic_node() {
  local target=$1 number=$2 peer
  podnet_bridge "$target" v-net-0 "10.244.$number.1/24"
  for peer in 1 2 3; do
    [[ $peer == "$number" ]] && continue
    ip -n "$target" route replace "10.244.$peer.0/24" via "192.168.1.1$peer" proto 201
  done
  ip_forward "$target" 1
}

# empty: only eth0 (and lo), forwarding off — a node podnet has never touched.
for number in 1 2 3; do
  case_name=empty
  [[ $number != 1 ]] && case_name="empty-node$number"
  new_node "$case_name" "$number"
  capture "$case_name"
done

# converged: node1..3 of the classic topology exactly as podnet leaves them.
for number in 1 2 3; do
  case_name=converged
  [[ $number != 1 ]] && case_name="converged-node$number"
  new_node "$case_name" "$number"
  converge_classic_node "$ns" "$number"
  capture "$case_name"
done

# converged-named-proto: node1 converged, listed while rt_protos.d names 201 `podnet`.
new_node converged-named-proto 1
converge_classic_node "$ns" 1
protos_tmp=$(mktemp)
echo "201 podnet" >"$protos_tmp"
capture converged-named-proto "$protos_tmp"
rm -f "$protos_tmp"

# drifted: node1 with the bridge down at MTU 1400, a wrong (pod-CIDR) address on the bridge, the
# route to node2 via the wrong gateway, the route to node3 missing, a stale podnet route to a node
# that no longer exists, and forwarding off.
new_node drifted 1
ip -n "$ns" link add v-net-0 type bridge
ip -n "$ns" link set dev v-net-0 alias podnet
ip -n "$ns" link set dev v-net-0 mtu 1400
ip -n "$ns" address add 10.244.1.7/24 dev v-net-0
ip -n "$ns" route replace 10.244.2.0/24 via 192.168.1.99 proto 201
ip -n "$ns" route replace 10.244.9.0/24 via 192.168.1.19 proto 201
capture drifted

# foreign-route: node1 converged except that an admin's static route owns node2's pod subnet.
new_node foreign-route 1
podnet_bridge "$ns" v-net-0 10.244.1.1/24
ip -n "$ns" route add 10.244.2.0/24 via 192.168.1.99 proto static
ip -n "$ns" route replace 10.244.3.0/24 via 192.168.1.13 proto 201
ip_forward "$ns" 1
capture foreign-route

# bridge-name-taken: a veth pair whose one end is called v-net-0 (not a bridge).
new_node bridge-name-taken 1
ip -n "$ns" link add v-net-0 type veth peer name v-net-0-peer
ip -n "$ns" link set v-net-0 up
capture bridge-name-taken

# bridge-no-alias: a bridge named v-net-0 that someone else made (no podnet alias).
new_node bridge-no-alias 1
ip -n "$ns" link add v-net-0 type bridge
ip -n "$ns" address add 10.244.1.1/24 dev v-net-0
ip -n "$ns" link set v-net-0 up
capture bridge-no-alias

# foreign-address: podnet's converged bridge carrying an extra address outside the pod CIDR.
new_node foreign-address 1
converge_classic_node "$ns" 1
ip -n "$ns" address add 172.31.5.1/24 dev v-net-0
capture foreign-address

# stale-bridge: node1 converged on a bridge renamed since: podnet's old bridge cni-old is still up.
new_node stale-bridge 1
converge_classic_node "$ns" 1
podnet_bridge "$ns" cni-old 10.244.201.1/24
capture stale-bridge

# pod-attached: node1 converged with a pod's host-side veth as a port of the bridge (in sync).
new_node pod-attached 1
converge_classic_node "$ns" 1
ip -n "$ns" link add veth5f3a9c type veth peer name pod-eth0
ip -n "$ns" link set veth5f3a9c master v-net-0
ip -n "$ns" link set veth5f3a9c up
capture pod-attached

# stale-bridge-ports: podnet's old bridge cni-old still has a pod's veth attached (not deleted).
new_node stale-bridge-ports 1
converge_classic_node "$ns" 1
podnet_bridge "$ns" cni-old 10.244.201.1/24
ip -n "$ns" link add veth77b0e1 type veth peer name pod-eth0
ip -n "$ns" link set veth77b0e1 master cni-old
capture stale-bridge-ports

# flannel-leftover: node1 as flannel host-gw left it: bridge cni0 (no podnet alias) with
# 10.244.1.1/24, and routes to the peers' subnets with the default protocol (boot).
new_node flannel-leftover 1
ip -n "$ns" link add cni0 type bridge
ip -n "$ns" address add 10.244.1.1/24 dev cni0
ip -n "$ns" link set cni0 up
ip -n "$ns" route add 10.244.2.0/24 via 192.168.1.12
ip -n "$ns" route add 10.244.3.0/24 via 192.168.1.13
ip_forward "$ns" 1
capture flannel-leftover

# admin-route: node1 converged plus an admin's route to 10.99.0.0/24 via a neighbour (proto boot,
# the default of `ip route add`); podnet must leave it alone.
new_node admin-route 1
converge_classic_node "$ns" 1
ip -n "$ns" route add 10.99.0.0/24 via 192.168.1.50
capture admin-route

# host-routes: a host route (prints without prefix), a default route, a blackhole and a multipath
# route, so the parser meets every shape `ip -j route` prints.
new_node host-routes 1
ip -n "$ns" route add 10.99.1.5 via 192.168.1.50
ip -n "$ns" route add default via 192.168.1.1
ip -n "$ns" route add blackhole 10.98.0.0/16
ip -n "$ns" route add 10.97.0.0/16 nexthop via 192.168.1.51 nexthop via 192.168.1.52
capture host-routes
