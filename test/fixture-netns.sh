#!/usr/bin/env bash
# Sourced by the capture scripts (test/capture-*.sh): refuse to run without root, name this run's
# namespaces with a unique prefix, and delete every namespace registered in created_namespaces on
# exit, also on failure.   Usage: source fixture-netns.sh; fixture_netns_init SCRIPT PREFIX
fixture_netns_init() {
  local script=$1 prefix=$2
  if [[ $(id -u) -ne 0 ]]; then
    echo "$script: needs root (it creates network namespaces)" >&2
    exit 1
  fi
  # shellcheck disable=SC2034  # read by the sourcing script
  run_id="$prefix-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
  created_namespaces=()
  trap fixture_netns_cleanup EXIT
}

fixture_netns_cleanup() {
  local ns
  for ns in "${created_namespaces[@]}"; do
    ip netns del "$ns" 2>/dev/null || true
  done
}
