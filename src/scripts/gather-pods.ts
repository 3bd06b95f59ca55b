// The gather's `pods` section: the network namespaces of the node and what podnet's address store
// holds (one file per address, container id on the first line, interface name on the second, as
// host-local and podnet's plugin write them). Pure. Pods made by `podnet pod add` and verify are
// the namespaces whose name is a container id in the store.
import type { CniSpec, ObservedPods } from '../model/types.js';
import { NETNS_DIR, deployedPaths } from './pod-script.js';
import { shellQuote } from './shell-quote.js';
import { sectionMarker, sectionMarkerPrintf, type Section } from './sections.js';

/**
 * The `pods` section's sh: after it, one section per record, `netns NAME`, `store` (the store
 * exists), `store-entry KIND NAME` for every entry of the store (hidden ones, sub-directories and
 * links too: a link is never followed), a file's first line as its body, and `allocation ADDRESS
 * CONTAINERID IFNAME`. Namespace names with characters a marker line cannot carry are skipped
 * (podnet's pods never have them). Shell builtins only: no process per pod (`read` takes the two
 * lines, carriage returns go in a loop of parameter expansions).
 */
export function podsGatherCommand(cni: CniSpec): string {
  const { store } = deployedPaths(cni);
  const q = shellQuote(store);
  return (
    `for ns in ${NETNS_DIR}/*; do [ -e "$ns" ] || continue; name=\${ns##*/}; ` +
    `case $name in *[!A-Za-z0-9_.-]*) continue ;; esac; ${sectionMarkerPrintf('netns', '"$name"')}; done; ` +
    `if [ -L ${q} ]; then ${sectionMarker('store')}; ${sectionMarker('store-entry', 'other', '.')}; ` +
    `elif [ -d ${q} ]; then ${sectionMarker('store')}; cr=$(printf '\\r'); for f in ${q}/* ${q}/.[!.]* ${q}/..?*; do ` +
    `[ -e "$f" ] || [ -L "$f" ] || continue; name=\${f##*/}; ` +
    `case $name in *[!A-Za-z0-9_.:+-]*) name='?' ;; esac; ` +
    `if [ -L "$f" ]; then kind='other'; elif [ -d "$f" ]; then kind='dir'; elif [ -f "$f" ]; then kind='file'; else kind='other'; fi; ` +
    `${sectionMarkerPrintf('store-entry', '"$kind"', '"$name"')}; ` +
    `[ "$kind" = file ] || continue; l1=; l2=; ` +
    `if [ -r "$f" ]; then { IFS= read -r l1 || true; IFS= read -r l2 || true; } < "$f"; fi; ` +
    `while :; do case $l1 in *"$cr"*) l1=\${l1%%"$cr"*}\${l1#*"$cr"} ;; *) break ;; esac; done; ` +
    // The body line never reads as a marker: a leading @ goes (the parser shows it as ? anyway).
    `case $l1 in @*) printf '?%s\\n' "\${l1#?}" ;; *) printf '%s\\n' "$l1" ;; esac; ` +
    `ip=$name; case $ip in *[!0-9.]*) continue ;; esac; ` +
    `${sectionMarkerPrintf('allocation', '"$ip"', '"$l1"', '"$l2"')}; done; fi; true`
  );
}

/** A file's first line as destroy compares it: no carriage return, any character a marker cannot carry as `?`. */
function shownFirstLine(line: string): string {
  return line.replace(/\r/g, '').replace(/[^A-Za-z0-9_.:+-]/g, '?');
}

/** The record sections that follow the `pods` section; undefined when there is no `pods` section. */
export function parseObservedPods(sections: readonly Section[]): ObservedPods | undefined {
  const at = sections.findIndex((s) => s.name === 'pods');
  if (at < 0) return undefined;
  const pods: ObservedPods = { netns: [], allocations: [], storeExists: false };
  for (const { name, args, body } of sections.slice(at + 1)) {
    if (name === 'netns' && args[0] !== undefined) pods.netns.push(args[0]);
    else if (name === 'store') {
      pods.storeExists = true;
      pods.storeEntries = [];
    } else if (name === 'store-entry') {
      const [kind, entry, firstLine] = args;
      if (entry === undefined || (kind !== 'file' && kind !== 'dir' && kind !== 'other')) continue;
      // The first line: the body (or, from a gather of before, a third word).
      const shown = firstLine ?? shownFirstLine(body.split('\n')[0] ?? '');
      pods.storeEntries?.push(kind === 'file' ? { name: entry, kind, firstLine: shown } : { name: entry, kind });
    }
    else if (name === 'allocation') {
      const [ip, containerId, ifname] = args;
      if (ip && containerId) pods.allocations.push({ ip, containerId, ifname: ifname ?? '' });
    } else break;
  }
  return pods;
}
