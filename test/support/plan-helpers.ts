// Small views of plan values for assertions: a change's object as people name it and its steps as
// command lines, and node states built for one host of a cluster.
import type { Change, Step } from '../../src/model/plan.js';
import type { Cluster, ObservedRoute, ObservedState } from '../../src/model/types.js';
import { checkConverged, type Convergence } from '../../src/plan/converged.js';
import type { NodeState } from '../../src/plan/node-state.js';
import { planNode } from '../../src/plan/plan-node.js';
import { describeChange, describeRule } from '../../src/render/sentences.js';
import { desiredState } from '../../src/state/desired.js';
import { classicSubnets } from './classic-cluster.js';

/** `route 10.244.2.0/24`, `link v-net-0`, `rule filter FORWARD -j PODNET-FORWARD`. */
export function objectOf(change: Change): string {
  if (change.kind === 'rule') {
    const value = change.after ?? change.before;
    if (value !== undefined) return describeRule(value);
  }
  return `${change.kind} ${change.key}`;
}

/** A step as an argv: `['ip', 'route', 'replace', …]`, `['install-file', PATH, MODE]`, `['sh', '-c', SCRIPT]`. */
export function argvOf(step: Step): string[] {
  switch (step.run) {
    case 'ip':
      return ['ip', ...step.args];
    case 'command':
      return step.argv;
    case 'install-file':
      return ['install-file', step.path, step.mode];
    case 'script':
      return ['sh', '-c', step.script];
  }
}

/** Every step of the changes as argvs, in order. */
export function stepArgvs(changes: readonly Change[]): string[][] {
  return changes.flatMap((c) => c.steps.map(argvOf));
}

/** The node state of one node of a cluster whose subnets are its explicit ones. */
export function nodeStateOf(cluster: Cluster, nodeName: string, observed: ObservedState): NodeState {
  const host = cluster.nodes.find((n) => n.name === nodeName);
  if (host === undefined) throw new Error(`no node ${nodeName}`);
  const desired = desiredState(cluster, classicSubnets(cluster), nodeName);
  return { host, role: 'node', desired, observed, plan: planNode(desired, observed, { podCidr: cluster.podCidr, nodeAddress: host.address }) };
}

/** What is left to do on a node (as plan lines), and whether it converged. */
export function convergenceOf(cluster: Cluster, state: NodeState, observed: ObservedState): Convergence & { lines: string[] } {
  const convergence = checkConverged(cluster, state, observed);
  return { ...convergence, lines: convergence.unmet.map(describeChange) };
}

/** A host as gather sees it: eth0 on the node network, podnet's bridge when it is a node, forwarding on. */
export function observedHost(name: string, address: string, subnet: string | undefined, routes: ObservedRoute[]): ObservedState {
  const state: ObservedState = {
    node: name,
    links: [
      { ifindex: 1, name: 'lo', kind: null, up: true, operstate: 'UNKNOWN', mtu: 65536 },
      { ifindex: 2, name: 'eth0', kind: 'veth', up: true, operstate: 'UP', mtu: 1500 },
    ],
    addresses: [{ dev: 'eth0', family: 'inet', local: address, prefixlen: 24 }],
    routes: [{ dst: '192.168.1.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link' }, ...routes],
    ipForward: true,
    management: { localAddress: address, peerAddress: '192.168.1.1', dev: 'eth0' },
  };
  if (subnet !== undefined) {
    state.links.push({ ifindex: 3, name: 'v-net-0', kind: 'bridge', up: true, operstate: 'UP', mtu: 1500, alias: 'podnet' });
    const gateway = subnet.replace(/0\/24$/, '1');
    state.addresses.push({ dev: 'v-net-0', family: 'inet', local: gateway, prefixlen: 24 });
    state.routes.push({ dst: subnet, dev: 'v-net-0', protocol: 'kernel', scope: 'link' });
  }
  return state;
}
