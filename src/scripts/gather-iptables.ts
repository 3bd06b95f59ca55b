// The gather's `iptables` section: podnet's filter and nat tables as iptables-save prints them, or
// why they could not be read. Pure.
import type { ObservedFirewall } from '../model/types.js';
import { parseFirewallText } from '../state/iptables-save.js';
import { sectionMarker, type Section } from './sections.js';

/** Sections the iptables command prints after its own when the node has no iptables-save, or when it failed. */
export const IPTABLES_MISSING = 'iptables-missing';
export const IPTABLES_FAILED = 'iptables-failed';

/**
 * The sh of the `iptables` section: both tables, or (a section of its own) why they could not be
 * read: `iptables-missing`, or `iptables-failed` with iptables-save's message as its body.
 */
export function iptablesGatherCommand(): string {
  return (
    `( PATH="$PATH:/usr/sbin:/sbin"; ` +
    `if ! command -v iptables-save >/dev/null 2>&1; then ${sectionMarker(IPTABLES_MISSING)}; ` +
    `elif out=$(iptables-save -t filter 2>&1 && iptables-save -t nat 2>&1); then printf '%s\\n' "$out"; ` +
    `else ${sectionMarker(IPTABLES_FAILED)}; printf '%s\\n' "$out"; fi )`
  );
}

/** The `iptables` section (and the status section after it) as an ObservedFirewall; undefined when absent. */
export function parseFirewallSections(sections: readonly Section[]): ObservedFirewall | undefined {
  const at = sections.findIndex((s) => s.name === 'iptables');
  if (at < 0) return undefined;
  const status = sections[at + 1];
  if (status?.name === IPTABLES_MISSING) return { available: false, reason: 'iptables is not installed (no iptables-save on PATH)' };
  if (status?.name === IPTABLES_FAILED) {
    const message = status.body.trim().split('\n').slice(0, 3).join('; ');
    return { available: false, reason: `iptables-save failed: ${message || 'no output'}` };
  }
  const text = sections[at]?.body ?? '';
  if (text.trim() === '') return { available: false, reason: 'iptables-save printed nothing' };
  return parseFirewallText(text);
}

