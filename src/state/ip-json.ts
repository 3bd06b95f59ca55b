// Parsers of real `ip -j` output (iproute2 6.x) into observed state. Input is the text exactly as
// the command printed it; malformed input throws an Error whose message names the command and the
// entry, so the gather step can report it per node.
import { Validator } from 'ip-num';
import { parseIpv4Cidr, rangeText } from '../model/ipv4.js';
import type { ObservedAddress, ObservedLink, ObservedRoute } from '../model/types.js';

type JsonObject = Record<string, unknown>;

function parseJsonArray(json: string, command: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new Error(`${command}: output is not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(value)) throw new Error(`${command}: expected a JSON array, got ${describeJson(value)}`);
  return value;
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Field access with a clear message: `ip -j route show: entry 2: "dst" must be a string`. */
class EntryReader {
  constructor(
    private readonly command: string,
    private readonly index: number,
    readonly entry: JsonObject,
  ) {}

  static of(command: string, index: number, value: unknown): EntryReader {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Error(`${command}: entry ${index} is ${describeJson(value)}, expected an object`);
    }
    return new EntryReader(command, index, value as JsonObject);
  }

  fail(message: string): never {
    throw new Error(`${this.command}: entry ${this.index}: ${message}`);
  }

  string(key: string): string {
    const v = this.entry[key];
    if (typeof v !== 'string' || v === '') this.fail(`"${key}" must be a non-empty string`);
    return v;
  }

  optionalString(key: string): string | undefined {
    const v = this.entry[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') this.fail(`"${key}" must be a string`);
    return v;
  }

  number(key: string): number {
    const v = this.entry[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(`"${key}" must be a number`);
    return v;
  }

  optionalNumber(key: string): number | undefined {
    return this.entry[key] === undefined ? undefined : this.number(key);
  }

  stringArray(key: string): string[] {
    const v = this.entry[key];
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) this.fail(`"${key}" must be an array of strings`);
    return v as string[];
  }

  objectArray(key: string): unknown[] {
    const v = this.entry[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) this.fail(`"${key}" must be an array`);
    return v;
  }
}

const LINK_COMMAND = 'ip -j -d link show';
const ADDR_COMMAND = 'ip -j addr show';
const ROUTE_COMMAND = 'ip -j route show table main';

/** Links from `ip -j -d link show` (the `-d` is what reports linkinfo.info_kind). */
export function parseIpLinks(json: string): ObservedLink[] {
  return parseJsonArray(json, LINK_COMMAND).map((value, index) => {
    const r = EntryReader.of(LINK_COMMAND, index, value);
    const linkinfo = r.entry['linkinfo'];
    let kind: string | null = null;
    if (linkinfo !== undefined) {
      if (typeof linkinfo !== 'object' || linkinfo === null) r.fail('"linkinfo" must be an object');
      const infoKind = (linkinfo as JsonObject)['info_kind'];
      if (typeof infoKind === 'string') kind = infoKind;
      else if (infoKind !== undefined) r.fail('"linkinfo.info_kind" must be a string');
    }
    const link: ObservedLink = {
      ifindex: r.number('ifindex'),
      name: r.string('ifname'),
      kind,
      up: r.stringArray('flags').includes('UP'),
      operstate: r.optionalString('operstate') ?? 'UNKNOWN',
      mtu: r.number('mtu'),
    };
    const alias = r.optionalString('ifalias');
    if (alias !== undefined) link.alias = alias;
    const master = r.optionalString('master');
    if (master !== undefined) link.master = master;
    return link;
  });
}

/** IPv4 and IPv6 addresses from `ip -j addr show`, one entry per address, with its device. */
export function parseIpAddrs(json: string): ObservedAddress[] {
  const addresses: ObservedAddress[] = [];
  parseJsonArray(json, ADDR_COMMAND).forEach((value, index) => {
    const r = EntryReader.of(ADDR_COMMAND, index, value);
    // iproute2 prints `{}` for links a filter dropped; they carry nothing.
    if (Object.keys(r.entry).length === 0) return;
    const dev = r.string('ifname');
    r.objectArray('addr_info').forEach((info, infoIndex) => {
      const a = EntryReader.of(`${ADDR_COMMAND} (${dev} addr_info)`, infoIndex, info);
      const family = a.string('family');
      if (family !== 'inet' && family !== 'inet6') return; // mpls and friends are not podnet's concern
      const local = a.string('local');
      if (!isIpAddress(local, family)) a.fail(`"local" is not an ${family} address: ${local}`);
      const prefixlen = a.number('prefixlen');
      if (!Number.isInteger(prefixlen) || prefixlen < 0 || prefixlen > (family === 'inet' ? 32 : 128)) {
        a.fail(`"prefixlen" is out of range: ${prefixlen}`);
      }
      addresses.push({ dev, family, local, prefixlen });
    });
  });
  return addresses;
}

/**
 * Routes from `ip -j route show table main`. `dst` is normalised to CIDR network form: a host
 * route (printed without prefix) becomes `/32`, `default` stays `default`. `protocol` is what ip
 * printed — a name from rt_protos (`kernel`, `static`, `podnet` …) or a number as a string
 * (`201`) — and `boot` when absent (ip leaves out the default protocol).
 *
 * Every node of a cluster lists nearly the same routes (a route to each peer), so a route is made
 * once per process from its entry's text and shared, frozen, by every node that prints that same
 * text (see parseRoutesShared): a 1,000-node cluster gathers a million routes, but of a few
 * thousand kinds. Anything the shared path does not take (pretty-printed JSON, nested objects such
 * as multipath next hops, a malformed entry) is parsed entry by entry as before, with the same
 * values and the same errors.
 */
export function parseIpRoutes(json: string): ObservedRoute[] {
  return parseRoutesShared(json) ?? parseJsonArray(json, ROUTE_COMMAND).map(routeEntry);
}

function routeEntry(value: unknown, index: number): ObservedRoute {
  const r = EntryReader.of(ROUTE_COMMAND, index, value);
  const route: ObservedRoute = {
    dst: normaliseRouteDst(r.string('dst'), r),
    protocol: intern(r.optionalString('protocol') ?? 'boot'),
  };
  const gateway = r.optionalString('gateway');
  if (gateway !== undefined) route.gateway = intern(gateway);
  const dev = r.optionalString('dev');
  if (dev !== undefined) route.dev = intern(dev);
  const metric = r.optionalNumber('metric');
  if (metric !== undefined) route.metric = metric;
  const scope = r.optionalString('scope');
  if (scope !== undefined) route.scope = intern(scope);
  const type = r.optionalString('type');
  if (type !== undefined && type !== 'unicast') route.type = type;
  const nexthops = r.objectArray('nexthops');
  if (nexthops.length > 0) {
    route.nexthops = nexthops.map((hop, hopIndex) => {
      const h = EntryReader.of(`${ROUTE_COMMAND} (${route.dst} nexthops)`, hopIndex, hop);
      const out: { gateway?: string; dev?: string } = {};
      const hopGateway = h.optionalString('gateway');
      if (hopGateway !== undefined) out.gateway = hopGateway;
      const hopDev = h.optionalString('dev');
      if (hopDev !== undefined) out.dev = hopDev;
      return out;
    });
  }
  return route;
}

/** Entry text (`{"dst":…}`, as ip printed it) → the route it makes, frozen: shared by every node that printed it. */
const routesByText = new Map<string, ObservedRoute>();

const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/**
 * The routes of compact `ip -j` output (`[{…},{…}]`, no blanks, no nested object), each entry's
 * text looked up in routesByText and made only when new. undefined for anything else: the caller
 * parses the whole document as before. Taking an entry's text up to its first `}` is exact: when
 * that text parses as a JSON object, a JSON parser of the whole array reads the same object there
 * (an object ends at its matching brace); when it does not (a `}` inside a string, a nested
 * object), the document is handed back.
 */
function parseRoutesShared(json: string): ObservedRoute[] | undefined {
  if (json.charCodeAt(0) !== 0x5b) return undefined;
  const routes: ObservedRoute[] = [];
  let at = 1;
  if (json.charCodeAt(at) !== CLOSE_BRACKET) {
    for (;;) {
      if (json.charCodeAt(at) !== OPEN_BRACE) return undefined;
      const close = json.indexOf('}', at);
      if (close < 0) return undefined;
      const text = json.slice(at, close + 1);
      let route = routesByText.get(text);
      if (route === undefined) {
        route = sharedRoute(text, routes.length);
        if (route === undefined) return undefined;
        // A copy of the key: a slice would keep the node's whole output alive (see detachedCopy).
        routesByText.set(detachedCopy(text), route);
      }
      routes.push(route);
      at = close + 1;
      const next = json.charCodeAt(at);
      if (next === COMMA) at++;
      else if (next === CLOSE_BRACKET) break;
      else return undefined;
    }
  }
  return json.slice(at + 1).trim() === '' ? routes : undefined;
}

/** The route one entry's text makes, frozen; undefined when the text is not a valid entry (the caller falls back). */
function sharedRoute(text: string, index: number): ObservedRoute | undefined {
  try {
    const route = routeEntry(JSON.parse(text) as unknown, index);
    // Shared by every node that printed this text (nexthops never: a nested object falls back).
    return Object.freeze(route);
  } catch {
    return undefined;
  }
}

/** A flat copy of a piece of a larger string (V8 keeps a slice of 13 characters or more as a view into its parent). */
function detachedCopy(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/**
 * Forgets the strings and routes shared between parses. A podnet run starts with none; the plan
 * bench calls this before each timed parse so that every run pays what the first one does.
 */
export function forgetSharedRoutes(): void {
  routesByText.clear();
  interned.clear();
  normalisedDsts.clear();
}

/** The content of /proc/sys/net/ipv4/ip_forward: `1` → true, `0` → false, empty → null (unread). */
export function parseIpForward(text: string): boolean | null {
  const value = text.trim();
  if (value === '') return null;
  if (value === '1') return true;
  if (value === '0') return false;
  throw new Error(`net.ipv4.ip_forward: expected 0 or 1, got ${JSON.stringify(value.slice(0, 40))}`);
}

function isIpAddress(text: string, family: 'inet' | 'inet6'): boolean {
  return family === 'inet' ? Validator.isValidIPv4String(text)[0] : Validator.isValidIPv6String(text)[0];
}

// Every node lists the same gateways, devices and protocols: one string each, shared by every
// route that names it, not one per route (a 1,000-node cluster gathers a million routes).
const interned = new Map<string, string>();

function intern(text: string): string {
  const known = interned.get(text);
  if (known !== undefined) return known;
  interned.set(text, text);
  return text;
}

// Every node lists the same peer subnets: each destination text is normalised once per process.
const normalisedDsts = new Map<string, string>();

function normaliseRouteDst(dst: string, r: EntryReader): string {
  const known = normalisedDsts.get(dst);
  if (known !== undefined) return known;
  const normalised = normaliseRouteDstOnce(dst, r);
  normalisedDsts.set(dst, normalised);
  return normalised;
}

function normaliseRouteDstOnce(dst: string, r: EntryReader): string {
  if (dst === 'default') return dst;
  const [address, prefix] = dst.split('/');
  if (address === undefined) return r.fail(`"dst" is not a route destination: ${dst}`);
  if (address.includes(':')) {
    if (!Validator.isValidIPv6String(address)[0]) r.fail(`"dst" is not a route destination: ${dst}`);
    return prefix === undefined ? `${address}/128` : dst;
  }
  const cidr = prefix === undefined ? `${address}/32` : dst;
  const range = parseIpv4Cidr(cidr);
  if (range === null) return r.fail(`"dst" is not a route destination: ${dst}`);
  return rangeText(range);
}
