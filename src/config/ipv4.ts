// Checking addresses and CIDRs as written by people. All arithmetic is ip-num's.
import { IPv4, IPv4CidrRange, Validator } from 'ip-num';

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

const IPV6_HINT = /:/;

export function checkIpv4Address(text: string): Checked<IPv4> {
  if (IPV6_HINT.test(text)) return { ok: false, message: `${text}: IPv6 is not supported yet` };
  if (text.includes('/')) return { ok: false, message: `${text}: expected an IPv4 address without a prefix length` };
  const [valid] = Validator.isValidIPv4String(text);
  if (!valid) return { ok: false, message: `${text}: not a valid IPv4 address` };
  return { ok: true, value: IPv4.fromString(text) };
}

/** A CIDR in network form; host bits set name the network meant. */
export function checkIpv4Cidr(text: string): Checked<IPv4CidrRange> {
  if (IPV6_HINT.test(text)) return { ok: false, message: `${text}: IPv6 is not supported yet` };
  const match = /^([^/]*)\/(0|[1-9][0-9]?)$/.exec(text);
  if (!match) return { ok: false, message: `${text}: not a valid IPv4 CIDR (expected ADDRESS/PREFIX, e.g. 10.244.0.0/16)` };
  const [, address = '', prefixText = ''] = match;
  if (!Validator.isValidIPv4String(address)[0]) return { ok: false, message: `${text}: ${address} is not a valid IPv4 address` };
  if (Number(prefixText) > 32) return { ok: false, message: `${text}: prefix length must be 0-32` };
  const written = IPv4CidrRange.fromCidr(text);
  const range = new IPv4CidrRange(written.getFirst(), written.getPrefix());
  const network = range.toCidrString();
  if (network !== text) return { ok: false, message: `${text}: host bits set; did you mean ${network}?` };
  return { ok: true, value: range };
}

export function prefixLength(range: IPv4CidrRange): number {
  return Number(range.getPrefix().getValue());
}
