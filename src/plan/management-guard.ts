// The management path: a plan must never delete or re-address the link, address or route that
// carries the SSH session to the node (or the node's own address). The planner and destroy both
// record what they would touch here; a node with any offence is refused.
import type { Action, Offence, Refusal } from '../model/plan.js';
import type { ObservedState } from '../model/types.js';
import { parseIpv4Dst, rangeContains } from './values.js';

export class ManagementGuard {
  private readonly offences: Offence[] = [];

  constructor(
    private readonly observed: Pick<ObservedState, 'management'>,
    private readonly nodeAddress: string,
  ) {}

  link(name: string, action: Action): void {
    const dev = this.observed.management?.dev;
    // Stryker disable next-line ConditionalExpression: equivalent, dev === name already implies dev is defined
    if (dev !== undefined && dev === name) this.offences.push({ kind: 'link', key: name, action });
  }

  /** An address podnet deletes (`text` is its key). */
  address(local: string, key: string): void {
    const management = this.observed.management;
    if (local === this.nodeAddress) this.offences.push({ kind: 'address', key, action: 'delete', takes: { address: local, what: 'node-address' } });
    else if (local === management?.localAddress) this.offences.push({ kind: 'address', key, action: 'delete', takes: { address: local, what: 'ssh-address' } });
  }

  route(dst: string, action: Action): void {
    const range = parseIpv4Dst(dst);
    if (range === null) return;
    const management = this.observed.management;
    const protectedAddresses: NonNullable<Offence['takes']>[] = [
      { address: this.nodeAddress, what: 'node-address' },
      ...(management !== undefined
        ? [
            { address: management.localAddress, what: 'ssh-address' as const },
            { address: management.peerAddress, what: 'ssh-client' as const },
          ]
        : []),
    ];
    const taken = protectedAddresses.find(({ address }) => rangeContains(range, address));
    if (taken !== undefined) this.offences.push({ kind: 'route', key: dst, action, takes: taken });
  }

  /** The node plan's refusal, or undefined when nothing would touch the management path. */
  refusal(): Refusal | undefined {
    if (this.offences.length === 0) return undefined;
    const management = this.observed.management;
    return { nodeAddress: this.nodeAddress, ...(management !== undefined ? { management } : {}), offences: [...this.offences] };
  }
}
