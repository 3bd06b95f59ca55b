// Rolling apply (issue 14, like Ansible's `serial` and `max_fail_percentage`): the hosts split into
// batches, and when a batch has too many failures the rollout stops. Pure: the batches and the
// stop rule; src/run/rollout.ts runs them.
import type { Pass } from './make-before-break.js';

/** `--serial N` (hosts per batch) or `--serial P%` (a share of the targeted hosts, rounded up). */
export type Serial = { count: number } | { percent: number };

/** How --serial was written: `3`, `25%`. */
export function serialText(serial: Serial): string {
  return 'count' in serial ? String(serial.count) : `${serial.percent}%`;
}

/** Hosts per batch: N, or P% of the hosts rounded up, at least 1. */
export function batchSize(serial: Serial, hosts: number): number {
  const size = 'count' in serial ? serial.count : Math.ceil((serial.percent * hosts) / 100);
  return Math.max(1, size);
}

/**
 * The batches, in order: the hosts in cluster.yaml order, the router first in gateway mode (every
 * node's pod traffic goes through it: its routes to the node subnets come before the nodes that
 * send via it). Without --serial, one batch of every host.
 */
export function planBatches(hosts: readonly string[], serial: Serial | undefined, firstHost?: string): string[][] {
  const ordered = firstHost !== undefined && hosts.includes(firstHost) ? [firstHost, ...hosts.filter((h) => h !== firstHost)] : [...hosts];
  if (serial === undefined || ordered.length === 0) return ordered.length === 0 ? [] : [ordered];
  const size = batchSize(serial, ordered.length);
  const batches: string[][] = [];
  for (let i = 0; i < ordered.length; i += size) batches.push(ordered.slice(i, i + size));
  return batches;
}

/**
 * Ansible's rule: the rollout stops when MORE than `maxFailPercentage` % of a batch's hosts failed
 * (0: any failure stops it; 100: none does).
 */
export function exceedsMaxFail(failed: number, size: number, maxFailPercentage: number): boolean {
  return failed > 0 && failed * 100 > maxFailPercentage * size;
}

/** What a rollout did, as a value (apply's JSON `rollout`). */
export interface RolloutReport {
  /** --serial as written (`2`, `25%`); absent: one batch. */
  serial?: string;
  maxFailPercentage: number;
  /** The hosts of each batch, in the order they ran. */
  batches: string[][];
  /** `make`, `break`: the plan ran in two passes (make-before-break); `all`: in one. */
  passes: ('make' | 'break' | 'all')[];
  /** Set when the rollout stopped: in which pass and batch (1-based), and how many of its hosts failed. */
  stopped?: { pass: Pass | 'all'; batch: number; failed: number; size: number };
  /** Hosts podnet did not start on because the rollout stopped. */
  untouched: string[];
  /** Hosts whose new routes and addresses were made but whose old ones were kept (the break pass did not run). */
  incomplete: string[];
}

