// IPv4 as integers: an address is a number in [0, 2^32), a /n range is [base, base + 2^(32-n)), and
// "contains" is two integer compares. This is the planner's hot path (a 1,000-node plan checks a
// million routes); ip-num stays where its objects and messages earn their place (validating what
// people write in cluster.yaml). Parsing accepts exactly what ip-num's Validator accepts: four
// decimal octets 0-255 without leading zeros, and for a CIDR a prefix of digits up to 32.

/** An IPv4 range: `base` is its network address (host bits cleared), `prefix` its length 0-32. */
export interface Ipv4Range {
  readonly base: number;
  readonly prefix: number;
}

/** `a.b.c.d` → its 32-bit value (unsigned); null for anything else. Read character by character: no regex, no array. */
export function ipv4ToInt(text: string): number | null {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      // '.'
      // A fourth dot is refused at the end (dots !== 3), like a missing one.
      if (digits === 0) return null;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      // A leading zero is allowed only alone ("0", not "01").
      if (digits === 1 && octet === 0) return null;
      octet = octet * 10 + (c - 48);
      digits++;
      if (octet > 255) return null;
    } else return null;
  }
  if (dots !== 3 || digits === 0) return null;
  return value * 256 + octet;
}

/** A 32-bit value → `a.b.c.d`. */
export function intToIpv4(value: number): string {
  return `${Math.floor(value / 16777216) % 256}.${Math.floor(value / 65536) % 256}.${Math.floor(value / 256) % 256}.${value % 256}`;
}

/** The number of addresses in a /prefix: 2^(32 - prefix) (2^32 for /0). */
export function rangeSize(prefix: number): number {
  return SIZES[prefix] as number;
}

const SIZES: readonly number[] = Array.from({ length: 33 }, (_, prefix) => 2 ** (32 - prefix));

/** The /prefix range holding `address` (its host bits cleared). */
export function ipv4Range(address: number, prefix: number): Ipv4Range {
  return { base: address - (address % rangeSize(prefix)), prefix };
}

/** `ADDRESS/PREFIX` → the range it names (host bits cleared, as ip-num's getFirst does); null for anything else. */
export function parseIpv4Cidr(text: string): Ipv4Range | null {
  const slash = text.indexOf('/');
  // Stryker disable next-line ConditionalExpression,EqualityOperator: without a slash (-1) or with it first, the address part is no a.b.c.d, so ipv4ToInt refuses it below: the guard only says so early
  if (slash < 0) return null;
  const address = ipv4ToInt(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === null || !/^\d+$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > 32) return null;
  return ipv4Range(address, prefix);
}

/** The range's last address. */
export function rangeLast(range: Ipv4Range): number {
  return range.base + rangeSize(range.prefix) - 1;
}

/** Whether `address` lies in `range`: base ≤ address < base + size. */
export function rangeHolds(range: Ipv4Range, address: number): boolean {
  return address >= range.base && address < range.base + rangeSize(range.prefix);
}

/** Whether `inner` lies wholly inside `outer` (a range is inside itself). */
export function rangeInside(inner: Ipv4Range, outer: Ipv4Range): boolean {
  return inner.base >= outer.base && inner.base + rangeSize(inner.prefix) <= outer.base + rangeSize(outer.prefix);
}

/** Whether two ranges share an address. */
export function rangesOverlap(a: Ipv4Range, b: Ipv4Range): boolean {
  return a.base < b.base + rangeSize(b.prefix) && b.base < a.base + rangeSize(a.prefix);
}

/** The range in CIDR notation, network form: `10.244.1.0/24`. */
export function rangeText(range: Ipv4Range): string {
  return `${intToIpv4(range.base)}/${range.prefix}`;
}
