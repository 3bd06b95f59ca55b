#!/usr/bin/env bash
# Installs the Debian packages podnet's lab, demo and tests need (as root). Idempotent: installs only what is missing.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "$2" ]; }
have sshd /usr/sbin/sshd || need+=(openssh-server)
have ssh /usr/bin/ssh || need+=(openssh-client)
have nc /usr/bin/nc || need+=(netcat-openbsd)
have ping /usr/bin/ping || need+=(iputils-ping)
have shellcheck /usr/bin/shellcheck || need+=(shellcheck)
have flock /usr/bin/flock || need+=(util-linux)
have ip /usr/sbin/ip || need+=(iproute2)
have sysctl /usr/sbin/sysctl || need+=(procps)
have iptables /usr/sbin/iptables || need+=(iptables)
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
have strace /usr/bin/strace || need+=(strace) # npm run bench:cni counts processes with it
have prometheus-node-exporter /usr/bin/prometheus-node-exporter || need+=(prometheus-node-exporter) # the metrics lab test scrapes it
have dot /usr/bin/dot || need+=(graphviz) # podnet graph --format svg, and its test
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "podnet needs these Debian packages (run as root): apt-get install -y --no-install-recommends ${need[*]}" >&2
    exit 1
  fi
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
