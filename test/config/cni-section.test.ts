// The `cni:` section: defaults, overrides, and where the plugin and conflist then go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CNI } from '../../src/model/types.js';
import { conflistPath, pluginPath } from '../../src/state/node-files.js';
import { loadText } from './helpers.js';

const NODES = 'nodes:\n  - name: node1\n    address: 192.168.1.11\n';

test('without a cni section the defaults apply', () => {
  const result = loadText(`podCidr: 10.244.0.0/16\n${NODES}`);
  assert.ok(result.ok);
  assert.deepEqual(result.cluster.cni, DEFAULT_CNI);
  assert.equal(pluginPath(result.cluster), '/opt/cni/bin/podnet');
  assert.equal(conflistPath(result.cluster), '/etc/cni/net.d/10-podnet.conflist');
});

test('every cni key can be set', () => {
  const text = `podCidr: 10.244.0.0/16\ncni:\n  binDir: /usr/libexec/cni\n  confDir: /etc/cni/conf.d\n  dataDir: /run/cni-ipam\n  networkName: pods\n  cniVersion: 1.1.0\n${NODES}`;
  const result = loadText(text);
  assert.ok(result.ok);
  assert.deepEqual(result.cluster.cni, { binDir: '/usr/libexec/cni', confDir: '/etc/cni/conf.d', dataDir: '/run/cni-ipam', networkName: 'pods', cniVersion: '1.1.0' });
  assert.equal(pluginPath(result.cluster), '/usr/libexec/cni/podnet');
  assert.equal(conflistPath(result.cluster), '/etc/cni/conf.d/10-pods.conflist');
});

test('a relative or unsafe cni path is refused at its line and column', () => {
  const result = loadText(`podCidr: 10.244.0.0/16\ncni:\n  confDir: etc/cni\n  networkName: "a b"\n${NODES}`);
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.deepEqual(
    result.diagnostics.map((d) => [d.line, d.col, d.message.split(' must')[0]]),
    [
      [3, 12, '`confDir` "etc/cni"'],
      [4, 16, '`networkName` "a b"'],
    ],
  );
});

test('system directories are refused as cni.binDir, confDir, dataDir, and as the store <dataDir>/<networkName>, at file:line:col', () => {
  // The example: validate accepted it, and destroy planned rm -rf /opt/cni.
  const opt = loadText(`podCidr: 10.244.0.0/16\ncni:\n  dataDir: /opt\n  networkName: cni\n${NODES}`);
  assert.equal(opt.ok, false);
  if (opt.ok) return;
  assert.deepEqual(
    opt.diagnostics.map((d) => [d.line, d.col, d.message]),
    [[3, 12, 'cni.dataDir /opt is a system directory: podnet writes into it and destroy removes from it; use a directory of its own (default /var/lib/cni/networks)']],
  );
  const refused: Array<[string, number, RegExp]> = [
    ['  binDir: /usr/bin\n', 3, /^cni\.binDir \/usr\/bin is a system directory/],
    ['  confDir: /etc\n', 3, /^cni\.confDir \/etc is a system directory/],
    ['  dataDir: /var/lib\n', 3, /^cni\.dataDir \/var\/lib is a system directory/],
    ['  dataDir: /lib64\n', 3, /^cni\.dataDir \/lib64 is a system directory/],
    ['  dataDir: /srv/x\n  networkName: ..\n', 4, /networkName/],
    ['  dataDir: /var\n  networkName: lib\n', 3, /^cni\.dataDir \/var is a system directory/],
    ['  dataDir: /usr/local\n  networkName: bin\n', 3, /system directory/],
    ['  dataDir: /opt/x\n', 0, /./],
    ['  dataDir: /var/lib/cni\n  networkName: networks\n', 4, /^the address store \/var\/lib\/cni\/networks \(cni\.dataDir\/cni\.networkName\) would be a CNI directory other plugins share: destroy removes the store/],
    ['  dataDir: /etc/cni\n  networkName: net.d\n', 4, /would be a CNI directory other plugins share/],
    ['  binDir: /srv/cni/bin\n  dataDir: /srv/cni\n  networkName: bin\n', 5, /^the address store \/srv\/cni\/bin \(cni\.dataDir\/cni\.networkName\) would be cni\.binDir/],
    ['  dataDir: /\n  networkName: usr\n', 3, /^`dataDir` "\/" must be an absolute path/],
  ];
  for (const [cni, line, message] of refused) {
    const result = loadText(`podCidr: 10.244.0.0/16\ncni:\n${cni}${NODES}`);
    if (line === 0) {
      assert.ok(result.ok, `${cni} is fine`);
      continue;
    }
    assert.equal(result.ok, false, cni);
    if (result.ok) continue;
    assert.equal(result.diagnostics[0]?.line, line, `${cni}: ${result.diagnostics[0]?.message}`);
    assert.match(result.diagnostics[0]?.message ?? '', message, cni);
  }
});
