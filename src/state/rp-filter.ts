// Reverse-path filtering: read `net.ipv4.conf.*.rp_filter` from the gather, and warn where a
// strict setting sits on a path pod traffic crosses. podnet does not own these sysctls: it reports,
// it never changes them. Pure.
import type { Warning } from '../model/plan.js';
import type { RpFilter } from '../model/types.js';

/** The gather's `rp_filter` section: one `DEV VALUE` line per `/proc/sys/net/ipv4/conf/*`. */
export const RP_FILTER_GATHER_COMMAND =
  'for f in /proc/sys/net/ipv4/conf/*/rp_filter; do v=; [ -r "$f" ] && read -r v < "$f"; [ -n "$v" ] || continue; d=${f%/rp_filter}; printf \'%s %s\\n\' "${d##*/}" "$v"; done';

export type { RpFilter } from '../model/types.js';

/** Parses the section; null when `all` is missing (nothing could be read). */
export function parseRpFilter(text: string): RpFilter | null {
  const values: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [dev, value] = line.trim().split(/\s+/);
    if (dev === undefined || dev === '' || value === undefined || !/^[0-9]+$/.test(value)) continue;
    values[dev] = Number(value);
  }
  const all = values['all'];
  return all === undefined ? null : { ...values, all };
}

/** The value the kernel applies on `dev`: the larger of `all` and the interface's own. */
export function effectiveRpFilter(rpFilter: RpFilter, dev: string): number {
  return Math.max(rpFilter.all, rpFilter[dev] ?? 0);
}

/**
 * One warning per interface in `devs` where rp_filter is strict (1): a pod packet arriving there is
 * dropped unless the route back to its source leaves through the same interface (asymmetric paths,
 * a route missing for a while). `value` says where it comes from: 1 on `all` or on the interface.
 */
export function rpFilterWarnings(rpFilter: RpFilter | undefined, devs: readonly { dev: string; role: 'bridge' | 'node-interface' }[]): Warning[] {
  if (rpFilter === undefined) return [];
  return devs
    .filter(({ dev }) => effectiveRpFilter(rpFilter, dev) === 1)
    .map(({ dev, role }) => ({ code: 'rp-filter-strict', dev, role, fromAll: rpFilter.all === 1 }));
}
