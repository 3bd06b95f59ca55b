// The planner of one host: desired state + observed state → the ordered changes that bring it in
// line, the foreign objects in the way (conflicts), and a refusal when the plan would cut the
// management path (changes still shown). Its parts live beside it: plan-bridge, plan-routes,
// plan-files, firewall; planning.ts fixes the order of their changes.
import type { Change, NodePlan } from '../model/plan.js';
import type { DesiredState, ObservedState } from '../model/types.js';
import { rpFilterWarnings } from '../state/rp-filter.js';
import { planBridge } from './plan-bridge.js';
import { planFiles } from './plan-files.js';
import { planNodeFirewall } from './firewall.js';
import { planPodsPresent } from './plan-pods.js';
import { planRoutes } from './plan-routes.js';
import { Planning, type PlanContext } from './planning.js';
import { classifyOrigins } from './origin.js';

export type { PlanContext } from './planning.js';

const IP_FORWARD_KEY = 'net.ipv4.ip_forward';

/** Plans one host. A converged host gets no changes; foreign objects in the way become conflicts. */
export function planNode(desired: DesiredState, observed: ObservedState, ctx: PlanContext): NodePlan {
  const p = new Planning(desired, observed, ctx);
  planForwarding(p);
  planBridge(p);
  planRoutes(p);
  planFiles(p);
  planNodeFirewall(p);
  reportRpFilter(p);
  const pods = planPodsPresent(desired, observed);
  for (const warning of pods.warnings) p.warn(warning);
  const plan: NodePlan = {
    node: desired.node,
    ...(desired.role !== undefined ? { role: desired.role } : {}),
    address: ctx.nodeAddress,
    subnet: desired.subnet,
    changes: p.changes(),
    conflicts: p.conflicts,
  };
  const refused = p.guard.refusal();
  if (refused !== undefined) plan.refused = refused;
  if (p.warnings.length > 0) plan.warnings = p.warnings;
  if (pods.disrupted.length > 0) plan.disruptedPods = pods.disrupted;
  if (p.waiting.length > 0) plan.waiting = p.waiting;
  // Drift, change or first apply, by the node's state file (when the gather read it).
  classifyOrigins(plan, desired, observed);
  return plan;
}

function planForwarding(p: Planning): void {
  const value = p.observed.ipForward;
  if (value === true) return;
  const change: Change = {
    kind: 'sysctl',
    key: IP_FORWARD_KEY,
    action: 'update',
    before: { key: IP_FORWARD_KEY, value: value === null ? null : 0 },
    after: { key: IP_FORWARD_KEY, value: 1 },
    reason: { code: 'differs' },
    steps: [{ run: 'command', argv: ['sysctl', '-w', `${IP_FORWARD_KEY}=1`] }],
  };
  p.add('sysctl', change);
}

/** A strict rp_filter on the bridge or the node's interface: reported, never changed (not podnet's). */
function reportRpFilter(p: Planning): void {
  const devs: { dev: string; role: 'bridge' | 'node-interface' }[] = [];
  const bridge = p.desired.bridge?.name;
  if (bridge !== undefined) devs.push({ dev: bridge, role: 'bridge' });
  const nodeDev = p.observed.addresses.find((a) => a.local === p.ctx.nodeAddress)?.dev ?? p.observed.management?.dev;
  if (nodeDev !== undefined && nodeDev !== bridge) devs.push({ dev: nodeDev, role: 'node-interface' });
  for (const warning of rpFilterWarnings(p.observed.rpFilter, devs)) p.warn(warning);
}
