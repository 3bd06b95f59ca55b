import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forgetSharedRoutes, parseIpAddrs, parseIpForward, parseIpLinks, parseIpRoutes } from '../../src/state/ip-json.js';
import type { ObservedRoute } from '../../src/model/types.js';
import { fixtureCases, loadObserved, readFixtureFile } from '../support/ip-fixtures.js';

test('links: kind, up, alias and mtu of a converged node', () => {
  const links = parseIpLinks(readFixtureFile('converged', 'links.json'));
  assert.deepEqual(
    links.map((l) => [l.name, l.kind, l.up, l.alias]),
    [
      ['lo', null, true, undefined],
      ['eth0', 'veth', true, undefined],
      ['v-net-0', 'bridge', true, 'podnet'],
    ],
  );
  const bridge = links.find((l) => l.name === 'v-net-0');
  assert.equal(bridge?.mtu, 1500);
  assert.equal(typeof bridge?.ifindex, 'number');
});

test('links: a bridge that is down, and a veth that took the bridge name', () => {
  const drifted = parseIpLinks(readFixtureFile('drifted', 'links.json')).find((l) => l.name === 'v-net-0');
  assert.equal(drifted?.up, false);
  assert.equal(drifted?.mtu, 1400);
  const taken = parseIpLinks(readFixtureFile('bridge-name-taken', 'links.json')).find((l) => l.name === 'v-net-0');
  assert.equal(taken?.kind, 'veth');
});

test('links: master names the bridge a port is attached to (captured)', () => {
  const port = parseIpLinks(readFixtureFile('pod-attached', 'links.json')).find((l) => l.name === 'veth5f3a9c');
  assert.equal(port?.kind, 'veth');
  assert.equal(port?.master, 'v-net-0');
});

test('links: master names the bridge a port is attached to', () => {
  const json = JSON.stringify([
    { ifindex: 4, ifname: 'veth1', flags: ['UP'], mtu: 1500, operstate: 'UP', master: 'v-net-0', linkinfo: { info_kind: 'veth', info_slave_kind: 'bridge' } },
  ]);
  assert.deepEqual(parseIpLinks(json), [{ ifindex: 4, name: 'veth1', kind: 'veth', up: true, operstate: 'UP', mtu: 1500, master: 'v-net-0' }]);
});

test('addresses: one entry per address, IPv4 and IPv6, with the device', () => {
  const addrs = parseIpAddrs(readFixtureFile('converged', 'addrs.json'));
  assert.deepEqual(
    addrs.filter((a) => a.family === 'inet'),
    [
      { dev: 'lo', family: 'inet', local: '127.0.0.1', prefixlen: 8 },
      { dev: 'eth0', family: 'inet', local: '192.168.1.11', prefixlen: 24 },
      { dev: 'v-net-0', family: 'inet', local: '10.244.1.1', prefixlen: 24 },
    ],
  );
  assert.ok(addrs.some((a) => a.dev === 'lo' && a.family === 'inet6' && a.local === '::1' && a.prefixlen === 128));
});

test('addresses: empty objects (links dropped by a filter) are skipped', () => {
  assert.deepEqual(parseIpAddrs('[{},{}]'), []);
});

test('routes: podnet protocol as number and as name, kernel routes, gateways', () => {
  const routes = parseIpRoutes(readFixtureFile('converged', 'routes.json'));
  assert.deepEqual(routes, [
    { dst: '10.244.1.0/24', dev: 'v-net-0', protocol: 'kernel', scope: 'link' },
    { dst: '10.244.2.0/24', gateway: '192.168.1.12', dev: 'eth0', protocol: '201' },
    { dst: '10.244.3.0/24', gateway: '192.168.1.13', dev: 'eth0', protocol: '201' },
    { dst: '192.168.1.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link' },
  ]);
  const named = parseIpRoutes(readFixtureFile('converged-named-proto', 'routes.json'));
  assert.deepEqual(
    named.filter((r) => r.gateway !== undefined).map((r) => r.protocol),
    ['podnet', 'podnet'],
  );
});

test('routes: host route gets /32, default stays, blackhole and multipath, absent protocol is boot', () => {
  const routes = parseIpRoutes(readFixtureFile('host-routes', 'routes.json'));
  assert.deepEqual(routes, [
    { dst: 'default', gateway: '192.168.1.1', dev: 'eth0', protocol: 'boot' },
    {
      dst: '10.97.0.0/16',
      protocol: 'boot',
      nexthops: [
        { gateway: '192.168.1.51', dev: 'eth0' },
        { gateway: '192.168.1.52', dev: 'eth0' },
      ],
    },
    { dst: '10.98.0.0/16', protocol: 'boot', type: 'blackhole' },
    { dst: '10.99.1.5/32', gateway: '192.168.1.50', dev: 'eth0', protocol: 'boot' },
    { dst: '192.168.1.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link' },
  ]);
});

test('routes: an admin route added without proto reads as boot; a static one as static', () => {
  const admin = parseIpRoutes(readFixtureFile('admin-route', 'routes.json')).find((r) => r.dst === '10.99.0.0/24');
  assert.deepEqual(admin, { dst: '10.99.0.0/24', gateway: '192.168.1.50', dev: 'eth0', protocol: 'boot' });
  const foreign = parseIpRoutes(readFixtureFile('foreign-route', 'routes.json')).find((r) => r.dst === '10.244.2.0/24');
  assert.equal(foreign?.protocol, 'static');
  assert.equal(foreign?.gateway, '192.168.1.99');
});

test('routes: metric is kept', () => {
  assert.deepEqual(parseIpRoutes('[{"dst":"10.244.2.0/24","gateway":"192.168.1.12","dev":"eth0","protocol":"201","metric":50,"flags":[]}]'), [
    { dst: '10.244.2.0/24', gateway: '192.168.1.12', dev: 'eth0', protocol: '201', metric: 50 },
  ]);
});

test('ip_forward: 1, 0, unread', () => {
  assert.equal(parseIpForward(readFixtureFile('converged', 'ip_forward')), true);
  assert.equal(parseIpForward(readFixtureFile('drifted', 'ip_forward')), false);
  assert.equal(parseIpForward(''), null);
  assert.throws(() => parseIpForward('yes\n'), /net\.ipv4\.ip_forward: expected 0 or 1, got "yes"/);
});

test('malformed input throws a clear error naming the command and the entry', () => {
  assert.throws(() => parseIpLinks('Device "x" does not exist.'), /^Error: ip -j -d link show: output is not JSON/);
  assert.throws(() => parseIpLinks('{"ifname":"lo"}'), /ip -j -d link show: expected a JSON array, got an object/);
  assert.throws(() => parseIpLinks('[{"ifname":"lo","flags":[],"mtu":1}]'), /ip -j -d link show: entry 0: "ifindex" must be a number/);
  assert.throws(() => parseIpLinks('[1]'), /entry 0 is a number, expected an object/);
  assert.throws(() => parseIpAddrs('[{"ifname":"eth0","addr_info":[{"family":"inet","local":"10.1.1","prefixlen":24}]}]'), /ip -j addr show \(eth0 addr_info\): entry 0: "local" is not an inet address: 10\.1\.1/);
  assert.throws(() => parseIpAddrs('[{"ifname":"eth0","addr_info":[{"family":"inet","local":"10.1.1.1","prefixlen":33}]}]'), /"prefixlen" is out of range: 33/);
  assert.throws(() => parseIpRoutes('[{"dst":"10.244.300.0/24"}]'), /ip -j route show table main: entry 0: "dst" is not a route destination: 10\.244\.300\.0\/24/);
  assert.throws(() => parseIpRoutes('[{"gateway":"1.2.3.4"}]'), /entry 0: "dst" must be a non-empty string/);
  assert.throws(() => parseIpRoutes(''), /output is not JSON/);
});

test('every captured fixture parses', () => {
  const cases = fixtureCases();
  assert.ok(cases.length >= 6);
  for (const name of cases) {
    const observed = loadObserved(name);
    assert.ok(observed.links.some((l) => l.name === 'eth0'), `${name}: eth0`);
    assert.ok(observed.addresses.some((a) => a.dev === 'eth0' && a.local.startsWith('192.168.1.1')), `${name}: node address`);
  }
});

// ── routes shared between nodes (parseIpRoutes reads compact output entry by entry, and makes a
// route once per entry text)

/** The same routes parsed the way every document was before: the whole array at once (pretty-printed, which the shared path hands back). */
function parsedWhole(json: string): ObservedRoute[] {
  return parseIpRoutes(JSON.stringify(JSON.parse(json), null, 1));
}

test('routes: compact output gives the values the whole-document parse gives, for every captured fixture', () => {
  for (const name of fixtureCases()) {
    const json = readFixtureFile(name, 'routes.json');
    assert.deepEqual(parseIpRoutes(json), parsedWhole(json), name);
  }
});

test('routes: the same entry printed by two nodes is one frozen route; a different one is not', () => {
  forgetSharedRoutes();
  const entry = '{"dst":"10.244.2.0/24","gateway":"192.168.1.12","dev":"eth0","protocol":"201","flags":[]}';
  const a = parseIpRoutes(`[${entry},{"dst":"192.168.1.0/24","dev":"eth0","protocol":"kernel","scope":"link","flags":[]}]`);
  const b = parseIpRoutes(`[{"dst":"default","gateway":"192.168.1.1","dev":"eth0","flags":[]},${entry}]\n`);
  assert.equal(a[0], b[1]);
  assert.ok(Object.isFrozen(a[0]));
  assert.notEqual(a[1], b[0]);
  assert.deepEqual(b, [
    { dst: 'default', gateway: '192.168.1.1', dev: 'eth0', protocol: 'boot' },
    { dst: '10.244.2.0/24', gateway: '192.168.1.12', dev: 'eth0', protocol: '201' },
  ]);
  assert.deepEqual(parseIpRoutes('[]'), []);
  assert.deepEqual(parseIpRoutes('[]\n'), []);
});

test('routes: what the entry-by-entry path does not take is parsed whole, with the same values and errors', () => {
  forgetSharedRoutes();
  const good = '{"dst":"10.244.2.0/24","gateway":"192.168.1.12","dev":"eth0","protocol":"201","flags":[]}';
  // A nested object (multipath next hops) after an entry already shared.
  parseIpRoutes(`[${good}]`);
  const nested = `[${good},{"dst":"10.97.0.0/16","flags":[],"nexthops":[{"gateway":"192.168.1.51","dev":"eth0","weight":1,"flags":[]}]}]`;
  assert.deepEqual(parseIpRoutes(nested)[1], { dst: '10.97.0.0/16', protocol: 'boot', nexthops: [{ gateway: '192.168.1.51', dev: 'eth0' }] });
  // A `}` inside a string: the entry's first `}` is not its end.
  assert.deepEqual(parseIpRoutes(`[${good},{"dst":"10.9.0.0/16","dev":"a}b","flags":[]}]`)[1], { dst: '10.9.0.0/16', dev: 'a}b', protocol: 'boot' });
  // A bad entry after shared ones is named by its place in this document.
  assert.throws(() => parseIpRoutes(`[${good},${good},{"dst":"10.244.300.0/24"}]`), /ip -j route show table main: entry 2: "dst" is not a route destination: 10\.244\.300\.0\/24/);
  assert.throws(() => parseIpRoutes(`[${good},{"gateway":"1.2.3.4"}]`), /entry 1: "dst" must be a non-empty string/);
  // Not JSON after a good start, or something after the array: the whole-document errors.
  assert.throws(() => parseIpRoutes(`[${good},`), /ip -j route show table main: output is not JSON/);
  assert.throws(() => parseIpRoutes(`[${good}] x`), /ip -j route show table main: output is not JSON/);
  assert.throws(() => parseIpRoutes(`[${good}}]`), /output is not JSON/);
  assert.throws(() => parseIpRoutes('[1]'), /entry 0 is a number, expected an object/);
});
