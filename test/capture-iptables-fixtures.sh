#!/usr/bin/env bash
# Captures real `iptables-save -t filter; iptables-save -t nat` output (what podnet's gather runs)
# from throw-away network namespaces into test/fixtures/iptables/<case>.txt. Run as root from
# anywhere: `bash test/capture-iptables-fixtures.sh`. Re-running rewrites the fixtures (only the
# `# Generated … on DATE` comment lines change). PODNET_FIXTURE_OUT=DIR writes them under DIR.
# Every namespace is named pnfwfix-<random>-<case> and deleted on exit, also on failure. A namespace
# starts with empty netfilter tables, so nothing of the machine's own rules is captured.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out_root="${PODNET_FIXTURE_OUT:-$repo_root/test/fixtures/iptables}"
# shellcheck source=test/fixture-netns.sh
source "$repo_root/test/fixture-netns.sh"
fixture_netns_init capture-iptables-fixtures.sh pnfwfix

# capture CASE SETUP: runs SETUP (sh, iptables on PATH) in a fresh namespace, saves both tables.
capture() {
  local case_name=$1 setup=$2 ns="$run_id-$1"
  ip netns add "$ns"
  created_namespaces+=("$ns")
  ip netns exec "$ns" sh -ec "$setup"
  mkdir -p "$out_root"
  ip netns exec "$ns" sh -c 'iptables-save -t filter && iptables-save -t nat' > "$out_root/$case_name.txt"
}

tag='-m comment --comment podnet'
forward_rules="iptables -w -t filter -N PODNET-FORWARD
iptables -w -t filter -A PODNET-FORWARD -s 10.244.0.0/16 $tag -j ACCEPT
iptables -w -t filter -A PODNET-FORWARD -d 10.244.0.0/16 $tag -j ACCEPT
iptables -w -t filter -I FORWARD 1 $tag -j PODNET-FORWARD"
nat_rules="iptables -w -t nat -N PODNET-POSTROUTING
iptables -w -t nat -A PODNET-POSTROUTING -s 10.244.0.0/16 -d 10.244.0.0/16 $tag -j RETURN
iptables -w -t nat -A PODNET-POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 $tag -j MASQUERADE
iptables -w -t nat -I POSTROUTING 1 $tag -j PODNET-POSTROUTING"
# What Docker leaves on a host: FORWARD policy DROP, its own chains, a MASQUERADE of its bridge.
docker_like="iptables -w -P FORWARD DROP
iptables -w -N DOCKER-USER
iptables -w -A DOCKER-USER -j RETURN
iptables -w -A FORWARD -j DOCKER-USER
iptables -w -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -w -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
iptables -w -A INPUT -p tcp --dport 22 -m comment --comment \"admin: ssh in\" -j ACCEPT"

capture empty 'true'
capture docker-like "$docker_like"
capture forward-converged "$forward_rules"
capture egress-converged "$forward_rules
$nat_rules"
# Docker started after podnet: its jump now comes before podnet's.
capture docker-after-podnet "$forward_rules
$docker_like
iptables -w -I FORWARD 1 -j DOCKER-USER"
# podnet's rules from an older pod CIDR, plus an admin rule that must survive.
capture stale-cidr "$(printf '%s\n' "$forward_rules" "$nat_rules" | sed 's#10\.244\.0\.0/16#10.245.0.0/16#g')
iptables -w -A FORWARD -s 192.168.1.0/24 -j ACCEPT"
# Someone else's rule jumps to podnet's NAT chain: it must not be removed.
capture foreign-jump "$forward_rules
$nat_rules
iptables -w -t nat -A POSTROUTING -o eth9 -j PODNET-POSTROUTING"
echo "captured into $out_root"
