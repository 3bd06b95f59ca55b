// The gather's `iptables` section: podnet's filter and nat tables as iptables-save prints them, or
// why they could not be read. Pure.
import type { ObservedFirewall } from '../model/types.js';
import { parseFirewallText } from '../state/iptables-save.js';
import { sectionMarker, type Section } from './sections.js';

/** Sections the iptables command prints after its own when the node has no iptables-save, or when it failed. */
export const IPTABLES_MISSING = 'iptables-missing';
export const IPTABLES_FAILED = 'iptables-failed';
/** The section after a successful iptables-save: its output, even empty, is every table there is. */
export const IPTABLES_READ = 'iptables-read';

/**
 * The sh of the `iptables` section: every table in ONE iptables-save (podnet reads filter and nat),
 * printed as it comes (no subshell, no capture); then, as a section of its own, how it went:
 * `iptables-read`, `iptables-missing`, or `iptables-failed` (iptables-save's message is then in the
 * `iptables` section). It appends /usr/sbin and /sbin to PATH for the rest of the script.
 */
export function iptablesGatherCommand(): string {
  return (
    `PATH="$PATH:/usr/sbin:/sbin"; ` +
    `if ! command -v iptables-save >/dev/null 2>&1; then ${sectionMarker(IPTABLES_MISSING)}; ` +
    `elif iptables-save 2>&1; then ${sectionMarker(IPTABLES_READ)}; else ${sectionMarker(IPTABLES_FAILED)}; fi`
  );
}

/** The tables podnet reads and writes; another table's chains are none of its business. */
const PODNET_TABLES: ReadonlySet<string> = new Set(['filter', 'nat']);

/** The `iptables` section (and the status section after it) as an ObservedFirewall; undefined when absent. */
export function parseFirewallSections(sections: readonly Section[]): ObservedFirewall | undefined {
  const at = sections.findIndex((s) => s.name === 'iptables');
  if (at < 0) return undefined;
  const status = sections[at + 1];
  if (status?.name === IPTABLES_MISSING) return { available: false, reason: 'iptables is not installed (no iptables-save on PATH)' };
  if (status?.name === IPTABLES_FAILED) {
    // The message: in the failed section (gathers before one iptables-save), else in the iptables one.
    const message = (status.body.trim() || (sections[at]?.body ?? '').trim()).split('\n').slice(0, 3).join('; ');
    return { available: false, reason: `iptables-save failed: ${message || 'no output'}` };
  }
  const text = sections[at]?.body ?? '';
  // After `iptables-read`, nothing printed means no table exists (nf_tables lists only those): no rules.
  // Without it (an output cut off, or a gather of before), nothing printed says nothing.
  if (status?.name !== IPTABLES_READ && text.trim() === '') return { available: false, reason: 'iptables-save printed nothing' };
  const firewall = parseFirewallText(text);
  if (!firewall.available) return firewall;
  return {
    ...firewall,
    chains: firewall.chains.filter((c) => PODNET_TABLES.has(c.table)),
    rules: firewall.rules.filter((r) => PODNET_TABLES.has(r.table)),
  };
}

