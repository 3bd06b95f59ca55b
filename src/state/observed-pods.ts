// The gather's `pods` section: the network namespaces of the node and what podnet's address store
// holds (one file per address, container id on the first line, interface name on the second, as
// host-local and podnet's plugin write them). Pure. Pods made by `podnet pod add` and verify are
// the namespaces whose name is a container id in the store.
import type { CniSpec, ObservedPods } from '../model/types.js';
import { NETNS_DIR, deployedPaths } from '../scripts/pod-script.js';
import { shellQuote } from '../scripts/shell-quote.js';

/** The section's sh: `@netns NAME`, `@store`, `@ip ADDRESS CONTAINERID IFNAME` lines. */
export function podsGatherCommand(cni: CniSpec): string {
  const { store } = deployedPaths(cni);
  return (
    `for ns in ${NETNS_DIR}/*; do [ -e "$ns" ] && printf '@netns %s\\n' "\${ns##*/}"; done; ` +
    `if [ -d ${shellQuote(store)} ]; then echo '@store'; for f in ${shellQuote(store)}/*; do ` +
    `[ -f "$f" ] || continue; ip=\${f##*/}; case $ip in *[!0-9.]*) continue ;; esac; ` +
    `printf '@ip %s %s %s\\n' "$ip" "$(head -n 1 "$f" | tr -d '\\r')" "$(sed -n 2p "$f")"; done; fi; true`
  );
}

export function parseObservedPods(text: string): ObservedPods {
  const pods: ObservedPods = { netns: [], allocations: [], storeExists: false };
  for (const line of text.split('\n')) {
    if (line.startsWith('@netns ')) pods.netns.push(line.slice('@netns '.length).trim());
    else if (line.trim() === '@store') pods.storeExists = true;
    else if (line.startsWith('@ip ')) {
      const [ip, containerId, ifname] = line.slice('@ip '.length).trim().split(' ');
      if (ip && containerId) pods.allocations.push({ ip, containerId, ifname: ifname ?? '' });
    }
  }
  return pods;
}
