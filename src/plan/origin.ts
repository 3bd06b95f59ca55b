// Where a change comes from, by the node's state file (what podnet last applied there): drift, a
// change cluster.yaml asks for, or a first apply. Pure.
//
// The state file records, per object podnet applied, the SHA-256 of its canonical desired value
// (desiredObjects below: the same kinds and keys the planner's changes carry). For a planned change:
//   - no usable record (missing, damaged)                          → first-apply
//   - the object is desired now (create, update, or a delete that serves it: a rule out of order):
//       recorded with the digest of today's desired value          → drift  (podnet applied exactly
//                                                                     this; someone changed the node)
//       recorded with another digest, or not recorded             → change (cluster.yaml asks for
//                                                                     something podnet never applied)
//   - the object is not desired now (a stale object of podnet's):
//       recorded                                                   → change (cluster.yaml no longer
//                                                                     wants what podnet applied)
//       not recorded                                               → drift  (an object marked as
//                                                                     podnet's that podnet never applied)
import type { Change, NodePlan, RouteValue } from '../model/plan.js';
import type { DesiredState, ObservedStateFile, StateRecord } from '../model/types.js';
import { canonicalJson } from '../model/canonical.js';
import { sha256Hex } from '../state/sha256.js';
import { STATE_FILE_PATH, STATE_FORMAT_VERSION } from '../state/state-file.js';
import { desiredRouteValue } from './plan-routes.js';
import { desiredFileValue } from './plan-files.js';
import { chainKey, ruleKey, ruleValue } from './firewall.js';
import { addressKey } from './values.js';
import { isPodnetBridge, isPodnetRoute } from '../state/ownership.js';
import type { ObservedState } from '../model/types.js';

export type ChangeOrigin = NonNullable<Change['origin']>;

/** The record's key of an object: `route 10.244.2.0/24` (the change's kind and key). */
export function objectKey(kind: string, key: string): string {
  return `${kind} ${key}`;
}

// A desired route's value is shared by every node of a plan (desired.ts): its digest is made once.
const routeDigests = new WeakMap<object, string>();

function digestOf(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/**
 * Every object of a desired state with the digest of its canonical desired value, by record key
 * (the keys of desiredObjectKeys in converged.ts).
 */
export function desiredObjectDigests(desired: DesiredState): Map<string, string> {
  const out = new Map<string, string>();
  out.set(objectKey('sysctl', 'net.ipv4.ip_forward'), digestOf({ key: 'net.ipv4.ip_forward', value: 1 }));
  const bridge = desired.bridge;
  if (bridge !== undefined) {
    out.set(objectKey('link', bridge.name), digestOf({ name: bridge.name, kind: 'bridge', alias: bridge.alias, mtu: bridge.mtu, up: true }));
  }
  if (desired.address !== undefined) {
    const { local, prefixlen, dev } = desired.address;
    const value = { address: `${local}/${prefixlen}`, dev };
    out.set(objectKey('address', addressKey(value)), digestOf(value));
  }
  for (const route of desired.routes) {
    let digest = routeDigests.get(route);
    if (digest === undefined) {
      const value: RouteValue = desiredRouteValue(route);
      digest = digestOf(value);
      routeDigests.set(route, digest);
    }
    out.set(objectKey('route', route.dst), digest);
  }
  for (const file of desired.files) out.set(objectKey('file', file.path), digestOf(desiredFileValue(file)));
  for (const chain of desired.firewall?.chains ?? []) {
    const value = { table: chain.table, chain: chain.name };
    out.set(objectKey('chain', chainKey(value)), digestOf(value));
  }
  for (const rule of desired.firewall?.rules ?? []) {
    out.set(objectKey('rule', ruleKey(ruleValue(rule))), digestOf({ ...ruleValue(rule), purpose: rule.purpose, first: rule.first === true }));
  }
  return out;
}

/**
 * The objects an apply of this plan leaves in place, with their digests: every desired object but
 * those the plan could not set (a route waiting for its host, an object a foreign one blocks).
 */
export function appliedObjects(desired: DesiredState, plan: Pick<NodePlan, 'waiting' | 'conflicts'>): Record<string, string> {
  const left = new Set([...(plan.waiting ?? []).map((w) => objectKey(w.kind, w.key)), ...plan.conflicts.map((c) => objectKey(c.kind, c.key))]);
  const objects: Record<string, string> = {};
  for (const [key, digest] of desiredObjectDigests(desired)) if (!left.has(key)) objects[key] = digest;
  return objects;
}

export interface RecordFacts {
  podnetVersion: string;
  time: string;
  controller: string;
  cluster?: string;
  clusterDigest?: string;
}

/** The record an apply of `plan` writes on its node. */
export function stateRecord(desired: DesiredState, plan: Pick<NodePlan, 'node' | 'waiting' | 'conflicts'>, facts: RecordFacts): StateRecord {
  return { formatVersion: STATE_FORMAT_VERSION, node: plan.node, ...facts, objects: appliedObjects(desired, plan) };
}

/** Whether the node's record already says what an apply of `plan` would record (then a converged node needs no write). */
export function recordIsCurrent(stateFile: ObservedStateFile | undefined, desired: DesiredState, plan: Pick<NodePlan, 'waiting' | 'conflicts'>): boolean {
  if (stateFile === undefined) return true; // not gathered: nothing to compare, nothing to write
  if (stateFile.state !== 'recorded') return false;
  const want = appliedObjects(desired, plan);
  const have = stateFile.record.objects;
  const keys = Object.keys(want);
  return keys.length === Object.keys(have).length && keys.every((k) => have[k] === want[k]);
}

/** The origin of one change against a usable record; `digests` are the desired objects' (desiredObjectDigests). */
export function classifyChange(change: Pick<Change, 'kind' | 'key' | 'action'>, record: StateRecord, digests: ReadonlyMap<string, string>): ChangeOrigin {
  const key = objectKey(change.kind, change.key);
  const recorded = Object.prototype.hasOwnProperty.call(record.objects, key) ? record.objects[key] : undefined;
  const desired = digests.get(key);
  if (desired !== undefined) return recorded === desired ? 'drift' : 'change';
  return recorded !== undefined ? 'change' : 'drift';
}

/** Whether the node holds anything marked as podnet's (its bridge, a route, a file naming podnet). */
function holdsPodnetObjects(observed: ObservedState): boolean {
  return observed.links.some(isPodnetBridge) || observed.routes.some(isPodnetRoute) || (observed.files ?? []).some((f) => f.sha256 !== null && f.mentionsPodnet === true);
}

/**
 * Sets every change's origin and the node's `lastApply` from the state file the gather read. A plan
 * of a node whose state file was not gathered is left as it is (origins unknown). A damaged file, or a
 * missing one on a node that already holds podnet's objects, is a warning: podnet cannot tell drift
 * from change there, and treats every change as a first apply.
 */
export function classifyOrigins(plan: NodePlan, desired: DesiredState, observed: ObservedState): void {
  const stateFile = observed.stateFile;
  if (stateFile === undefined) return;
  if (stateFile.state === 'recorded') {
    const { record } = stateFile;
    plan.lastApply = { state: 'recorded', ...(record.clusterDigest !== undefined ? { clusterDigest: record.clusterDigest } : {}), time: record.time, controller: record.controller };
    if (plan.changes.length === 0) return;
    const digests = desiredObjectDigests(desired);
    for (const change of plan.changes) change.origin = classifyChange(change, record, digests);
    return;
  }
  plan.lastApply = { state: stateFile.state };
  for (const change of plan.changes) change.origin = 'first-apply';
  if (stateFile.state === 'damaged') {
    plan.warnings = [...(plan.warnings ?? []), { code: 'state-file-damaged', path: STATE_FILE_PATH, problem: stateFile.problem }];
  } else if (holdsPodnetObjects(observed)) {
    plan.warnings = [...(plan.warnings ?? []), { code: 'state-file-missing', path: STATE_FILE_PATH }];
  }
}
