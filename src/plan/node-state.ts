// The one pure step of every run: (cluster, gathered observations) → for every host its desired
// state, its observed state and its plan. diff, apply, its convergence check, destroy, verify's
// diagnosis and the pod commands all read this value; nothing else derives desired state.
import type { NodePlan, Plan, Warning } from '../model/plan.js';
import { PLAN_FORMAT_VERSION } from '../model/plan.js';
import { UserError } from '../model/errors.js';
import type { Cluster, DesiredState, HostRole, NodeSpec, ObservedState } from '../model/types.js';
import { desiredState, routerDesiredState } from '../state/desired.js';
import { allocateSubnets } from '../state/subnets.js';
import { planDestroyNode, type DestroyHost } from './destroy.js';
import { planNode } from './plan-node.js';
import { summarisePlan } from './summary.js';

/** What a run wants of the hosts: podnet's objects in place (diff, apply), or gone (destroy). */
export type Goal = 'present' | 'absent';

export interface NodeState {
  /** How to reach the host (the router too: it has no subnet). */
  host: NodeSpec;
  role: HostRole;
  /** Absent when the goal is `absent` (destroy wants nothing of podnet left). */
  desired?: DesiredState;
  observed: ObservedState;
  plan: NodePlan;
}

export interface ClusterState {
  cluster: Cluster;
  goal: Goal;
  /** The gathered hosts in cluster order, the router last. */
  states: NodeState[];
  plan: Plan;
}

/** Every host podnet plans for: the nodes, then the router when cluster.yaml names one. */
function hostsOf(cluster: Cluster): { host: NodeSpec; role: HostRole }[] {
  const router = cluster.router !== undefined ? [{ host: cluster.router as NodeSpec, role: 'router' as const }] : [];
  return [...cluster.nodes.map((host) => ({ host, role: 'node' as const })), ...router];
}

/**
 * Plans every gathered host (`present`): allocates subnets (keeping observed ones), derives each
 * host's desired state and plans it. A node left without a subnet makes the whole plan impossible
 * (its peers could not route to it): UserError. For `absent` (destroy) each host's plan removes
 * everything podnet owns there.
 */
export function buildClusterState(cluster: Cluster, observed: ReadonlyMap<string, ObservedState>, goal: Goal = 'present'): ClusterState {
  const gathered = hostsOf(cluster).filter(({ host }) => observed.has(host.name));
  if (goal === 'absent') {
    const states = gathered.map(({ host, role }): NodeState => {
      const state = observed.get(host.name) as ObservedState;
      return { host, role, observed: state, plan: planDestroyNode(cluster, destroyHost(cluster, host, role), state) };
    });
    return { cluster, goal, states, plan: assemblePlan(cluster, states, []) };
  }
  const { subnets, diagnostics } = allocateSubnets(cluster, observed);
  if (cluster.nodes.some((node) => !subnets.has(node.name))) {
    throw new UserError(`${cluster.sourcePath}: cannot plan:\n${diagnostics.map((d) => `  ${d}`).join('\n')}`);
  }
  const states = gathered.map(({ host, role }): NodeState => {
    const state = observed.get(host.name) as ObservedState;
    const desired =
      role === 'router' ? routerDesiredState(cluster, subnets, state.networkManagers) : desiredState(cluster, subnets, host.name, state.networkManagers);
    return { host, role, desired, observed: state, plan: planNode(desired, state, { podCidr: cluster.podCidr, nodeAddress: host.address }) };
  });
  return { cluster, goal, states, plan: assemblePlan(cluster, states, diagnostics.map((message) => ({ code: 'subnet', message }))) };
}

/** A host as destroy plans it: the router's plan header shows the pod CIDR it routes. */
export function destroyHost(cluster: Cluster, host: NodeSpec, role: HostRole): DestroyHost {
  return { name: host.name, address: host.address, role, ...(role === 'router' ? { subnet: cluster.podCidr } : host.subnet !== undefined ? { subnet: host.subnet } : {}) };
}

function assemblePlan(cluster: Cluster, states: readonly NodeState[], warnings: Warning[]): Plan {
  const nodes = states.map((s) => s.plan);
  const plan: Plan = { formatVersion: PLAN_FORMAT_VERSION, cluster: cluster.sourcePath, nodes, summary: summarisePlan(nodes) };
  if (warnings.length > 0) plan.warnings = warnings;
  return plan;
}

/** The plan of the gathered hosts (what `podnet diff` prints). */
export function planCluster(cluster: Cluster, observed: ReadonlyMap<string, ObservedState>): Plan {
  return buildClusterState(cluster, observed).plan;
}
