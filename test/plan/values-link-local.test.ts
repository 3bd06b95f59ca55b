// isIpv6LinkLocal reads fe80::/10 from the text (it was an ip-num range check, ~3 ms a node).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIpv6LinkLocal } from '../../src/plan/values.js';

const v6 = (local: string) => ({ dev: 'eth0', family: 'inet6' as const, local, prefixlen: 64 });

test('fe80::/10 is link-local, from fe80 to febf, in any case, compressed or not', () => {
  for (const local of ['fe80::1', 'FE80::', 'fe80:0:0:0:1:2:3:4', 'febf:ffff::1', 'fe9a::dead:beef', 'fe80::a00:27ff:fe4e:66a1']) {
    assert.equal(isIpv6LinkLocal(v6(local)), true, local);
  }
});

test('outside fe80::/10, IPv4, and text that is no IPv6 address are not', () => {
  for (const local of ['fec0::1', 'fe7f::1', 'fe8::1', '::1', '::', '2001:db8::1', 'ff02::1', 'fe80', 'fe80:::1', 'fe80::1::2', 'fe80::zz', '0fe80::1']) {
    assert.equal(isIpv6LinkLocal(v6(local)), false, local);
  }
  assert.equal(isIpv6LinkLocal({ dev: 'eth0', family: 'inet', local: '169.254.1.1', prefixlen: 16 }), false);
});
