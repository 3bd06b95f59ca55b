// Integer IPv4: parsing (exactly what ip-num's Validator accepts), ranges as [base, base + 2^(32-n)),
// and their compares at the edges (/0, /32, 0.0.0.0, 255.255.255.255, each end of a range).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IPv4CidrRange, Validator } from 'ip-num';
import {
  intToIpv4,
  ipv4Range,
  ipv4ToInt,
  parseIpv4Cidr,
  rangeHolds,
  rangeInside,
  rangeLast,
  rangeSize,
  rangesOverlap,
  rangeText,
} from '../../src/model/ipv4.js';

const cidr = (text: string): { base: number; prefix: number } => {
  const range = parseIpv4Cidr(text);
  assert.ok(range !== null, text);
  return range;
};

test('ipv4ToInt: the 32-bit value of a dotted quad, the ends included', () => {
  assert.equal(ipv4ToInt('0.0.0.0'), 0);
  assert.equal(ipv4ToInt('0.0.0.1'), 1);
  assert.equal(ipv4ToInt('0.0.1.0'), 256);
  assert.equal(ipv4ToInt('0.1.0.0'), 65536);
  assert.equal(ipv4ToInt('1.0.0.0'), 16777216);
  assert.equal(ipv4ToInt('10.244.1.1'), 0x0af40101);
  assert.equal(ipv4ToInt('255.255.255.255'), 4294967295);
  assert.equal(ipv4ToInt('192.168.1.11'), 3232235787);
});

test('ipv4ToInt: anything but four decimal octets 0-255 without leading zeros is null', () => {
  for (const text of ['', '1.2.3', '1.2.3.4.5', '256.0.0.0', '1.2.3.256', '01.2.3.4', '1.2.3.04', '1.2.3.-1', '1.2.3.', '.1.2.3', 'a.b.c.d', '1.2.3.4/24', ' 1.2.3.4', '1.2.3.4 ', '1..2.3', '::1', '1.2.3.0x1', '1.2.3.1e1']) {
    assert.equal(ipv4ToInt(text), null, JSON.stringify(text));
  }
});

test('ipv4ToInt accepts what ip-num accepts, and nothing else', () => {
  const samples = ['0.0.0.0', '00.0.0.0', '9.9.9.9', '99.99.99.99', '199.1.1.1', '200.1.1.1', '249.1.1.1', '250.1.1.1', '255.1.1.1', '256.1.1.1', '300.1.1.1', '1.2.3', '1.2.3.4.', '1.2.3.+4', '1.2.3.4\n'];
  for (const text of samples) assert.equal(ipv4ToInt(text) !== null, Validator.isValidIPv4String(text)[0], JSON.stringify(text));
});

test('intToIpv4: back to a dotted quad, the ends included', () => {
  assert.equal(intToIpv4(0), '0.0.0.0');
  assert.equal(intToIpv4(4294967295), '255.255.255.255');
  assert.equal(intToIpv4(0x0af40101), '10.244.1.1');
  assert.equal(intToIpv4(16777216), '1.0.0.0');
  assert.equal(intToIpv4(65536 + 256 + 1), '0.1.1.1');
  for (const text of ['192.168.1.11', '172.16.254.3', '1.2.3.4', '128.0.0.0']) assert.equal(intToIpv4(ipv4ToInt(text) as number), text);
});

test('rangeSize and rangeLast: /0 holds 2^32 addresses, /32 one', () => {
  assert.equal(rangeSize(0), 4294967296);
  assert.equal(rangeSize(32), 1);
  assert.equal(rangeSize(24), 256);
  assert.equal(rangeLast(cidr('0.0.0.0/0')), 4294967295);
  assert.equal(rangeLast(cidr('255.255.255.255/32')), 4294967295);
  assert.equal(rangeLast(cidr('10.244.1.0/24')), ipv4ToInt('10.244.1.255'));
  assert.equal(rangeLast(cidr('10.0.0.0/8')), ipv4ToInt('10.255.255.255'));
});

test('parseIpv4Cidr: the network of ADDRESS/PREFIX, host bits cleared as ip-num getFirst does', () => {
  assert.deepEqual(parseIpv4Cidr('10.244.1.0/24'), { base: ipv4ToInt('10.244.1.0'), prefix: 24 });
  assert.deepEqual(parseIpv4Cidr('10.244.1.1/24'), { base: ipv4ToInt('10.244.1.0'), prefix: 24 });
  assert.deepEqual(parseIpv4Cidr('255.255.255.255/0'), { base: 0, prefix: 0 });
  assert.deepEqual(parseIpv4Cidr('255.255.255.255/32'), { base: 4294967295, prefix: 32 });
  assert.deepEqual(parseIpv4Cidr('255.255.255.255/1'), { base: 2147483648, prefix: 1 });
  assert.deepEqual(parseIpv4Cidr('10.244.1.7/31'), { base: ipv4ToInt('10.244.1.6'), prefix: 31 });
  for (const text of ['10.244.1.1/24', '192.168.7.200/20', '255.255.255.255/0', '255.255.255.255/32', '1.2.3.4/1', '128.0.0.1/1']) {
    const ours = cidr(text);
    const theirs = IPv4CidrRange.fromCidr(text);
    assert.equal(BigInt(ours.base), theirs.getFirst().getValue(), text);
    assert.equal(BigInt(rangeLast(ours)), theirs.getLast().getValue(), text);
  }
});

test('parseIpv4Cidr: anything else is null (as ip-num Validator says)', () => {
  for (const text of ['10.244.1.0', '10.244.1.0/', '/24', '10.244.1.0/33', '10.244.1.0/-1', '10.244.1.0/2x', '10.244.1/24', '256.1.1.1/8', '10.244.1.0/24/1', 'default', '::/0', '10.244.1.0/ 24']) {
    assert.equal(parseIpv4Cidr(text), null, text);
    assert.equal(Validator.isValidIPv4CidrNotation(text)[0], false, `ip-num agrees on ${text}`);
  }
  assert.deepEqual(parseIpv4Cidr('10.0.0.0/08'), { base: ipv4ToInt('10.0.0.0'), prefix: 8 }, 'a prefix of digits, as ip-num reads it');
});

test('rangeHolds: two compares, each end of the range inside, one past either end outside', () => {
  const r = cidr('10.244.1.0/24');
  assert.equal(rangeHolds(r, ipv4ToInt('10.244.1.0') as number), true);
  assert.equal(rangeHolds(r, ipv4ToInt('10.244.1.255') as number), true);
  assert.equal(rangeHolds(r, ipv4ToInt('10.244.0.255') as number), false);
  assert.equal(rangeHolds(r, ipv4ToInt('10.244.2.0') as number), false);
  const all = cidr('0.0.0.0/0');
  assert.equal(rangeHolds(all, 0), true);
  assert.equal(rangeHolds(all, 4294967295), true);
  const top = cidr('255.255.255.255/32');
  assert.equal(rangeHolds(top, 4294967295), true);
  assert.equal(rangeHolds(top, 4294967294), false);
  const bottom = cidr('0.0.0.0/32');
  assert.equal(rangeHolds(bottom, 0), true);
  assert.equal(rangeHolds(bottom, 1), false);
});

test('rangeInside: a range is inside itself and its supernets, not its subnets or neighbours', () => {
  const pod = cidr('10.244.0.0/16');
  assert.equal(rangeInside(cidr('10.244.1.0/24'), pod), true);
  assert.equal(rangeInside(pod, pod), true);
  assert.equal(rangeInside(cidr('10.244.0.0/24'), pod), true, 'first subnet');
  assert.equal(rangeInside(cidr('10.244.255.0/24'), pod), true, 'last subnet');
  assert.equal(rangeInside(pod, cidr('10.244.1.0/24')), false);
  assert.equal(rangeInside(cidr('10.245.0.0/24'), pod), false, 'just past the end');
  assert.equal(rangeInside(cidr('10.243.255.0/24'), pod), false, 'just before the start');
  assert.equal(rangeInside(cidr('10.0.0.0/8'), pod), false, 'a supernet overlapping both ends');
  assert.equal(rangeInside(pod, cidr('0.0.0.0/0')), true);
  assert.equal(rangeInside(cidr('255.255.255.255/32'), cidr('255.255.255.0/24')), true);
  assert.equal(rangeInside(cidr('0.0.0.0/0'), cidr('0.0.0.0/1')), false);
});

test('rangesOverlap: sharing one address is enough; touching ends is not', () => {
  const a = cidr('10.244.1.0/24');
  assert.equal(rangesOverlap(a, a), true);
  assert.equal(rangesOverlap(a, cidr('10.244.0.0/16')), true);
  assert.equal(rangesOverlap(cidr('10.244.0.0/16'), a), true);
  assert.equal(rangesOverlap(a, cidr('10.244.2.0/24')), false, 'the next subnet');
  assert.equal(rangesOverlap(cidr('10.244.2.0/24'), a), false);
  assert.equal(rangesOverlap(a, cidr('10.244.0.0/24')), false, 'the one before');
  assert.equal(rangesOverlap(a, cidr('10.244.1.255/32')), true, 'its last address');
  assert.equal(rangesOverlap(cidr('10.244.1.0/32'), a), true, 'its first address');
  assert.equal(rangesOverlap(cidr('0.0.0.0/0'), cidr('255.255.255.255/32')), true);
  assert.equal(rangesOverlap(cidr('0.0.0.0/1'), cidr('128.0.0.0/1')), false);
});

test('ipv4Range and rangeText: the /n network holding an address, in CIDR notation', () => {
  assert.equal(rangeText(ipv4Range(ipv4ToInt('10.244.1.1') as number, 24)), '10.244.1.0/24');
  assert.equal(rangeText(ipv4Range(4294967295, 0)), '0.0.0.0/0');
  assert.equal(rangeText(ipv4Range(4294967295, 32)), '255.255.255.255/32');
  assert.equal(rangeText(ipv4Range(4294967295, 31)), '255.255.255.254/31');
  assert.equal(rangeText(cidr('10.244.1.9/30')), '10.244.1.8/30');
});
