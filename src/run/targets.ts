// Which hosts a run works on: every node, or those --limit names; the router rides along unless left out.
import type { Cluster, NodeSpec } from '../model/types.js';
import { UserError } from '../model/errors.js';

/** The nodes a run targets: all, or those named by --limit (unknown names are an error). */
export function targetNodes(cluster: Cluster, limit: readonly string[] | undefined): NodeSpec[] {
  if (!limit || limit.length === 0) return cluster.nodes;
  const known = new Set(cluster.nodes.map((n) => n.name));
  const unknown = limit.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new UserError(`--limit names unknown node(s): ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  }
  const wanted = new Set(limit);
  return cluster.nodes.filter((n) => wanted.has(n.name));
}

/**
 * The hosts diff and apply work on: the targeted nodes, then the router (when cluster.yaml names
 * one) unless --limit leaves it out. The router is reached, gathered and applied like a node.
 */
export function targetHosts(cluster: Cluster, limit: readonly string[] | undefined): NodeSpec[] {
  const router = cluster.router;
  if (router === undefined) return targetNodes(cluster, limit);
  if (!limit || limit.length === 0) return [...cluster.nodes, router];
  const nodeNames = limit.filter((name) => name !== router.name);
  const nodes = nodeNames.length === 0 ? [] : targetNodes(cluster, nodeNames);
  return limit.includes(router.name) ? [...nodes, router] : nodes;
}
