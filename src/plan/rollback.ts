// The rollback of an apply (`apply --confirm`): the changes that take podnet's objects on a node
// back to the state the plan was made from. Pure: it is the inverse of the node's plan, computed
// from each change's before/after values, never a shell snapshot — so it touches exactly the
// objects the apply touched (podnet's routes, addresses, bridge, rules, chains, files, ip_forward)
// and nothing foreign. Undone in reverse order (a rule goes before its chain, an address before
// its bridge). A file's `before` holds only its digest: the apply first copies the old file into
// the rollback directory (the `save` steps), and the rollback copies it back.
import type { Change, LinkValue, RouteValue, Step } from '../model/plan.js';
import { PODNET_PROTO } from '../state/ownership.js';
import { splitIptablesWords } from '../state/iptables-save.js';

export interface Rollback {
  /** Steps the apply runs before its own: copies of the files it replaces or removes. */
  save: Step[];
  /** The changes that undo the apply, in the order they run. */
  changes: Change[];
  /** Changes that cannot be undone (a pod removed by destroy); empty for apply plans. */
  notUndone: Change[];
}

const rollbackReason = { code: 'rollback' } as const;

function routeArgs(verb: 'replace' | 'del', route: RouteValue): string[] {
  const args = ['route', verb];
  if (route.type !== undefined) args.push(route.type);
  args.push(route.dst);
  if (route.nexthops !== undefined && verb === 'replace') {
    for (const hop of route.nexthops) {
      args.push('nexthop');
      if (hop.gateway !== undefined) args.push('via', hop.gateway);
      if (hop.dev !== undefined) args.push('dev', hop.dev);
    }
  } else if (route.gateway !== undefined) {
    args.push('via', route.gateway);
    if (route.dev !== undefined && verb === 'replace') args.push('dev', route.dev);
  } else if (route.dev !== undefined && route.nexthops === undefined) args.push('dev', route.dev);
  args.push('proto', verb === 'del' ? PODNET_PROTO : route.protocol);
  if (route.metric !== undefined) args.push('metric', String(route.metric));
  return args;
}

function linkCreateSteps(link: LinkValue): Step[] {
  const steps: Step[] = [{ run: 'ip', args: ['link', 'add', link.name, 'type', link.kind ?? 'bridge'] }];
  if (link.alias !== undefined) steps.push({ run: 'ip', args: ['link', 'set', 'dev', link.name, 'alias', link.alias] });
  if (link.mtu !== undefined) steps.push({ run: 'ip', args: ['link', 'set', 'dev', link.name, 'mtu', String(link.mtu)] });
  if (link.up !== false) steps.push({ run: 'ip', args: ['link', 'set', 'dev', link.name, 'up'] });
  for (const address of link.addresses ?? []) steps.push({ run: 'ip', args: ['address', 'add', address, 'dev', link.name] });
  return steps;
}

const iptables = (table: string, ...words: string[]): Step => ({ run: 'command', argv: ['iptables', '-w', '-t', table, ...words] });

/** Where the old copy of the `index`-th saved file lives. */
export function savedFilePath(dir: string, index: number): string {
  return `${dir}/files/${index}`;
}

/** The steps that undo one change, or undefined when it cannot be undone. */
function invertSteps(change: Change, saved: () => string): Step[] | undefined {
  switch (change.kind) {
    case 'sysctl': {
      const value = change.before?.value;
      if (value === null || value === undefined) return [];
      return [{ run: 'command', argv: ['sysctl', '-w', `${change.key}=${value}`] }];
    }
    case 'route':
      if (change.action === 'create') return change.after ? [{ run: 'ip', args: routeArgs('del', change.after) }] : undefined;
      return change.before ? [{ run: 'ip', args: routeArgs('replace', change.before) }] : undefined;
    case 'address': {
      if (change.action === 'create') return change.after ? [{ run: 'ip', args: ['address', 'del', change.after.address, 'dev', change.after.dev] }] : undefined;
      if (change.action === 'delete') return change.before ? [{ run: 'ip', args: ['address', 'add', change.before.address, 'dev', change.before.dev] }] : undefined;
      return undefined;
    }
    case 'link': {
      const name = change.key;
      if (change.action === 'create') return [{ run: 'ip', args: ['link', 'del', 'dev', name] }];
      if (change.action === 'delete') return change.before ? linkCreateSteps(change.before) : undefined;
      const steps: Step[] = [];
      if (change.before?.mtu !== undefined) steps.push({ run: 'ip', args: ['link', 'set', 'dev', name, 'mtu', String(change.before.mtu)] });
      if (change.before?.up === false) steps.push({ run: 'ip', args: ['link', 'set', 'dev', name, 'down'] });
      return steps;
    }
    case 'file':
      if (change.action === 'create') return [{ run: 'command', argv: ['rm', '-f', change.key] }];
      return [{ run: 'command', argv: ['cp', '-p', saved(), change.key] }];
    case 'chain': {
      const value = change.before ?? change.after;
      if (value === undefined) return undefined;
      return [iptables(value.table, change.action === 'create' ? '-X' : '-N', value.chain)];
    }
    case 'rule': {
      const { before, after } = change;
      const steps: Step[] = [];
      if (after !== undefined) steps.push(iptables(after.table, '-D', after.chain, ...splitIptablesWords(after.rule)));
      if (before !== undefined) {
        const where = before.position !== undefined ? ['-I', before.chain, String(before.position)] : ['-A', before.chain];
        steps.push(iptables(before.table, ...where, ...splitIptablesWords(before.rule)));
      }
      return steps;
    }
    case 'pod':
      return undefined;
  }
}

function invertChange(change: Change, steps: Step[]): Change {
  const action = change.action === 'create' ? 'delete' : change.action === 'delete' ? 'create' : 'update';
  const { before, after } = change;
  // The union keeps kind and values together; only before and after swap.
  return { ...change, action, ...(after !== undefined ? { before: after } : { before: undefined }), ...(before !== undefined ? { after: before } : { after: undefined }), reason: rollbackReason, steps } as Change;
}

/** The rollback of a node's changes; `dir` is the node's rollback directory for this apply. */
export function planRollback(changes: readonly Change[], dir: string): Rollback {
  const save: Step[] = [];
  const undo: Change[] = [];
  const notUndone: Change[] = [];
  changes.forEach((change) => {
    const saved = (): string => {
      const path = savedFilePath(dir, save.length);
      save.push({ run: 'command', argv: ['cp', '-p', change.key, path] });
      return path;
    };
    const steps = invertSteps(change, saved);
    if (steps === undefined) notUndone.push(change);
    else if (steps.length > 0) undo.push(clean(invertChange(change, steps)));
  });
  if (save.length > 0) save.unshift({ run: 'command', argv: ['mkdir', '-p', `${dir}/files`] });
  const reversed = undo.reverse();
  // Rules deleted from a chain come back with -A: in the order they had, not reversed.
  const appended = reversed.flatMap((c, i) => (c.kind === 'rule' && c.action === 'create' && c.after?.position === undefined ? [i] : []));
  const inOrder = appended.map((i) => reversed[i]!).reverse();
  appended.forEach((slot, k) => (reversed[slot] = inOrder[k]!));
  return { save, changes: reversed, notUndone };
}

function clean(change: Change): Change {
  const copy: Record<string, unknown> = { ...change };
  if (copy.before === undefined) delete copy.before;
  if (copy.after === undefined) delete copy.after;
  return copy as unknown as Change;
}

/**
 * Whether an apply on this node needs `--confirm` by default: its plan changes a route, an address
 * or a link — what can cut the path podnet reaches the node by (every node is reached over SSH).
 */
export function needsConfirm(changes: readonly Change[]): boolean {
  return changes.some((c) => c.kind === 'route' || c.kind === 'address' || c.kind === 'link');
}
