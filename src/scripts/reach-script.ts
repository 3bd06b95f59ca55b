// The check after each batch of a rolling apply (src/run/rollout.ts): from a host of the batch,
// ping the pod gateway (bridge address) of every peer applied so far, from its own pod gateway.
// The request goes out by the host's route to the peer's pod subnet and the reply comes back by
// the peer's route to this host's subnet: both directions of podnet's routes, with no pod needed.
// One exec per host, the peers pinged in parallel; a peer is reached when any of 3 requests is
// answered. Hosts without `ping` report that, and the check is skipped there. Pure.
import { IPV4_PATTERN } from '../model/names.js';
import { sectionMarker } from './sections.js';

/** The sh that pings every target from `source`, printing `ok TARGET` or `fail TARGET` per target. */
export function renderReachScript(source: string, targets: readonly string[]): string {
  for (const address of [source, ...targets]) {
    if (!IPV4_PATTERN.test(address)) throw new Error(`refusing address ${JSON.stringify(address)} in the reach check`);
  }
  return (
    `if ! command -v ping >/dev/null 2>&1; then ${sectionMarker('reach-no-ping')}; exit 0; fi\n` +
    `${sectionMarker('reach')}\n` +
    `for t in ${targets.join(' ')}; do\n` +
    `  ( if ping -n -q -c 3 -i 0.2 -W 1 -I ${source} "$t" >/dev/null 2>&1; then echo "ok $t"; else echo "fail $t"; fi ) &\n` +
    `done\nwait\n`
  );
}

export type ReachOutcome = { ping: false } | { ping: true; reached: string[]; failed: string[] };

/** The output of renderReachScript; a target with no line counts as failed. */
export function parseReachOutput(stdout: string, targets: readonly string[]): ReachOutcome {
  if (stdout.includes('@@podnet reach-no-ping')) return { ping: false };
  const ok = new Set<string>();
  for (const line of stdout.split('\n')) {
    const m = /^ok (\S+)$/.exec(line.trim());
    if (m?.[1] !== undefined) ok.add(m[1]);
  }
  return { ping: true, reached: targets.filter((t) => ok.has(t)), failed: targets.filter((t) => !ok.has(t)) };
}
