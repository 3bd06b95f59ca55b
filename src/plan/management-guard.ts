// The management path: a plan must never delete or re-address the link, address or route that
// carries the SSH session to the node (or the node's own address). The planner and destroy both
// record what they would touch here; a node with any offence is refused.
//
// An address carries a route too: `ip address add 10.0.1.1/24 dev v-net-0` makes the kernel add
// `10.0.1.0/24 dev v-net-0`, so an address whose network holds the SSH client sends the replies
// to the operator into the bridge. Every address podnet adds or keeps is checked for that.
//
// When the node could not say where the SSH session comes from (SSH_CONNECTION empty: management
// `unknown`), every change to a link, address or route is an offence: podnet cannot tell whether it
// cuts the session. sysctl, files and iptables changes are not reported here and stay allowed: they
// do not change which interface or route carries the session (podnet's iptables rules only accept
// or masquerade pod traffic; its files are the CNI plugin and conflist).
import type { Action, Offence, Refusal } from '../model/plan.js';
import type { ObservedState } from '../model/types.js';
import { ipv4ToInt, rangeHolds, rangeText, type Ipv4Range } from '../model/ipv4.js';
import { parseIpv4Dst } from './values.js';

type Takes = NonNullable<Offence['takes']>;
type Protected = Takes & { value: number | null };

function takes(p: Protected): Takes {
  return { address: p.address, what: p.what };
}

export class ManagementGuard {
  private readonly offences: Offence[] = [];
  private protectedList: Protected[] | undefined;

  constructor(
    private readonly observed: Pick<ObservedState, 'management'>,
    private readonly nodeAddress: string,
  ) {}

  private get unknown(): boolean {
    return this.observed.management?.unknown === true;
  }

  link(name: string, action: Action): void {
    if (this.unknown) {
      this.offences.push({ kind: 'link', key: name, action });
      return;
    }
    const dev = this.observed.management?.dev;
    // Stryker disable next-line ConditionalExpression: equivalent, dev === name already implies dev is defined
    if (dev !== undefined && dev === name) this.offences.push({ kind: 'link', key: name, action });
  }

  /** An address podnet deletes (`text` is its key). */
  address(local: string, key: string): void {
    const management = this.observed.management;
    if (this.unknown) this.offences.push({ kind: 'address', key, action: 'delete' });
    else if (local === this.nodeAddress) this.offences.push({ kind: 'address', key, action: 'delete', takes: { address: local, what: 'node-address' } });
    else if (local === management?.localAddress) this.offences.push({ kind: 'address', key, action: 'delete', takes: { address: local, what: 'ssh-address' } });
  }

  /**
   * An address podnet adds (`create`) or keeps (`keep`): the connected route the kernel installs
   * with it must not take a protected address other than the address itself. When the SSH
   * session already comes in on that link, the route is the path itself, not a diversion.
   */
  addressRoute(address: { local: string; prefixlen: number; dev: string }, key: string, action: 'create' | 'keep'): void {
    if (this.unknown) {
      if (action === 'create') this.offences.push({ kind: 'address', key, action });
      return;
    }
    if (this.observed.management?.dev === address.dev) return;
    const range = parseIpv4Dst(`${address.local}/${address.prefixlen}`);
    if (range === null) return;
    const network = rangeText(range);
    const taken = this.protectedAddresses().find((p) => p.address !== address.local && p.value !== null && rangeHolds(range, p.value));
    if (taken !== undefined) this.offences.push({ kind: 'address', key, action, takes: takes(taken), connectedRoute: network });
  }

  /** A route podnet sets or deletes; `range` is dst's range when the caller has it already. */
  route(dst: string, action: Action, range: Ipv4Range | null = parseIpv4Dst(dst)): void {
    if (this.unknown) {
      this.offences.push({ kind: 'route', key: dst, action });
      return;
    }
    if (range === null) return;
    const taken = this.protectedAddresses().find(({ value }) => value !== null && rangeHolds(range, value));
    if (taken !== undefined) this.offences.push({ kind: 'route', key: dst, action, takes: takes(taken) });
  }

  /** The protected addresses, each with its value as an integer (null: not IPv4), computed once. */
  private protectedAddresses(): Protected[] {
    this.protectedList ??= this.protectedTakes().map((p) => ({ ...p, value: ipv4ToInt(p.address) }));
    return this.protectedList;
  }

  private protectedTakes(): Takes[] {
    const management = this.observed.management;
    return [
      { address: this.nodeAddress, what: 'node-address' },
      ...(management !== undefined
        ? [
            { address: management.localAddress, what: 'ssh-address' as const },
            { address: management.peerAddress, what: 'ssh-client' as const },
          ]
        : []),
    ];
  }

  /** The node plan's refusal, or undefined when nothing would touch the management path. */
  refusal(): Refusal | undefined {
    if (this.offences.length === 0) return undefined;
    const management = this.observed.management;
    return { nodeAddress: this.nodeAddress, ...(management !== undefined ? { management } : {}), offences: [...this.offences] };
  }
}
