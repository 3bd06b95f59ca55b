// Checking addresses and CIDRs as written by people: the messages are podnet's, the arithmetic
// integer IPv4 (src/model/ipv4.ts accepts exactly what ip-num's Validator accepts).
import { ipv4ToInt, parseIpv4Cidr, rangeText, type Ipv4Range } from '../model/ipv4.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

const IPV6_HINT = /:/;

/** An IPv4 address → its 32-bit value. */
export function checkIpv4Address(text: string): Checked<number> {
  if (IPV6_HINT.test(text)) return { ok: false, message: `${text}: IPv6 is not supported yet` };
  if (text.includes('/')) return { ok: false, message: `${text}: expected an IPv4 address without a prefix length` };
  const value = ipv4ToInt(text);
  if (value === null) return { ok: false, message: `${text}: not a valid IPv4 address` };
  return { ok: true, value };
}

/** A CIDR in network form; host bits set name the network meant. */
export function checkIpv4Cidr(text: string): Checked<Ipv4Range> {
  if (IPV6_HINT.test(text)) return { ok: false, message: `${text}: IPv6 is not supported yet` };
  const match = /^([^/]*)\/(0|[1-9][0-9]?)$/.exec(text);
  if (!match) return { ok: false, message: `${text}: not a valid IPv4 CIDR (expected ADDRESS/PREFIX, e.g. 10.244.0.0/16)` };
  const [, address = '', prefixText = ''] = match;
  if (ipv4ToInt(address) === null) return { ok: false, message: `${text}: ${address} is not a valid IPv4 address` };
  if (Number(prefixText) > 32) return { ok: false, message: `${text}: prefix length must be 0-32` };
  const range = parseIpv4Cidr(text) as Ipv4Range;
  const network = rangeText(range);
  if (network !== text) return { ok: false, message: `${text}: host bits set; did you mean ${network}?` };
  return { ok: true, value: range };
}

export function prefixLength(range: Ipv4Range): number {
  return range.prefix;
}

