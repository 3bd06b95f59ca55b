// renderPlugin and renderConflist: strict validation of what gets baked in, and the output's shape.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderPlugin, validatePluginConstants, composeBody, DEFAULT_CNI_DATA_DIR, PLUGIN_HEADER_LINES, type PluginConstants } from '../../src/cni/render-plugin.js';
import { PLUGIN_SH, JSON_FLATTEN_AWK } from '../../src/cni/plugin-source.generated.js';
import { renderConflist } from '../../src/cni/conflist.js';

const good: PluginConstants = { networkName: 'podnet', bridge: 'v-net-0', subnet: '10.244.1.0/24', gateway: '10.244.1.1', mtu: 1500 };

describe('renderPlugin', () => {
  it('bakes the node constants into a POSIX sh script header', () => {
    const script = renderPlugin(good);
    assert.ok(script.startsWith('#!/bin/sh\n'));
    const header = script.split('\n').slice(0, 16).join('\n');
    assert.match(header, /^NETWORK_NAME='podnet'$/m);
    assert.match(header, /^BRIDGE='v-net-0'$/m);
    assert.match(header, /^SUBNET='10\.244\.1\.0\/24'$/m);
    assert.match(header, /^PREFIX_LEN=24$/m);
    assert.match(header, /^GATEWAY='10\.244\.1\.1'$/m);
    // 10.244.1.1 = 10*2^24 + 244*2^16 + 1*2^8 + 1
    assert.match(header, new RegExp(`^GATEWAY_INT=${10 * 2 ** 24 + 244 * 2 ** 16 + 256 + 1}$`, 'm'));
    assert.match(header, new RegExp(`^FIRST_INT=${10 * 2 ** 24 + 244 * 2 ** 16 + 256 + 1}$`, 'm'));
    assert.match(header, new RegExp(`^LAST_INT=${10 * 2 ** 24 + 244 * 2 ** 16 + 256 + 254}$`, 'm'));
    assert.match(header, /^MTU=1500$/m);
    assert.match(header, new RegExp(`^DATA_DIR='${DEFAULT_CNI_DATA_DIR}'$`, 'm'));
    assert.match(renderPlugin({ ...good, dataDir: '/srv/cni/' }), /^DATA_DIR='\/srv\/cni'$/m);
  });

  it('is plugin.sh with the header replaced line for line and json-flatten.awk spliced in', () => {
    const script = renderPlugin(good);
    const rendered = script.split('\n');
    const file = PLUGIN_SH.split('\n');
    assert.match(rendered[PLUGIN_HEADER_LINES - 1] ?? '', /^LATEST_VERSION=/);
    // Up to the awk program, every line of the body sits at the line number it has in plugin.sh.
    const awkAt = file.findIndex((line) => line.includes('@@json-flatten.awk@@'));
    assert.ok(awkAt > PLUGIN_HEADER_LINES);
    assert.deepEqual(rendered.slice(PLUGIN_HEADER_LINES, awkAt), file.slice(PLUGIN_HEADER_LINES, awkAt));
    const program = JSON_FLATTEN_AWK.replace(/^(#[^\n]*\n)+/, '');
    assert.ok(script.includes(`JSON_FLATTEN_AWK='\n${program.trimEnd()}'\n`));
    assert.ok(!script.includes('@@'));
    assert.ok(script.endsWith('\nexit 0\n'));
  });

  it('refuses files that break the splice contract', () => {
    assert.throws(() => composeBody('#!/bin/sh\n', ''), /LATEST_VERSION/);
    const header = PLUGIN_SH.split('\n').slice(0, PLUGIN_HEADER_LINES).join('\n');
    assert.throws(() => composeBody(`${header}\nX='@@json-flatten.awk@@'\n`, "{ print 'x' }"), /single quote/);
    assert.throws(() => composeBody(`${header}\nX=1\n`, '{ print }'), /exactly once/);
  });

  it('is pure: the same constants give the same script', () => {
    assert.equal(renderPlugin(good), renderPlugin({ ...good }));
  });

  it('refuses every constant that is not strictly valid', () => {
    const bad: Array<[Partial<PluginConstants>, RegExp]> = [
      [{ networkName: '' }, /network name/],
      [{ networkName: 'a'.repeat(16) }, /network name/],
      [{ networkName: "pod'net" }, /network name/],
      [{ networkName: '-podnet' }, /network name/],
      [{ bridge: 'v net' }, /bridge name/],
      [{ bridge: 'br$(reboot)' }, /bridge name/],
      [{ subnet: '10.244.1.5/24' }, /network address/],
      [{ subnet: '10.244.1.0' }, /CIDR/],
      [{ subnet: '10.244.1.0/33' }, /CIDR/],
      [{ subnet: '010.244.1.0/24' }, /CIDR/],
      [{ subnet: 'fd00::/64' }, /CIDR/],
      [{ subnet: '10.244.1.0/31', gateway: '10.244.1.1' }, /prefix length/],
      [{ gateway: '10.244.2.1' }, /inside/],
      [{ gateway: '10.244.1.0' }, /inside/],
      [{ gateway: '10.244.1.255' }, /inside/],
      [{ gateway: '10.244.1.1; reboot' }, /IPv4 address/],
      [{ mtu: 67 }, /MTU/],
      [{ mtu: 1500.5 }, /MTU/],
      [{ mtu: 70000 }, /MTU/],
      [{ dataDir: 'var/lib/cni' }, /data dir/],
      [{ dataDir: '/var/lib/../cni' }, /data dir/],
      [{ dataDir: "/var/lib/cni'x" }, /data dir/],
      [{ dataDir: '/var/lib/my cni' }, /data dir/],
    ];
    for (const [override, message] of bad) {
      assert.throws(() => renderPlugin({ ...good, ...override }), message, JSON.stringify(override));
    }
    assert.doesNotThrow(() => validatePluginConstants({ ...good, subnet: '10.0.0.0/8', gateway: '10.255.255.254', mtu: 9000 }));
  });
});

describe('renderConflist', () => {
  it('names the network and the plugin, cniVersion 1.0.0 by default', () => {
    const text = renderConflist({ networkName: 'podnet' });
    assert.ok(text.endsWith('\n'));
    assert.deepEqual(JSON.parse(text), { cniVersion: '1.0.0', name: 'podnet', plugins: [{ type: 'podnet' }] });
    assert.deepEqual(JSON.parse(renderConflist({ networkName: 'lab', cniVersion: '1.1.0', pluginType: 'podnet-lab' })), {
      cniVersion: '1.1.0',
      name: 'lab',
      plugins: [{ type: 'podnet-lab' }],
    });
  });

  it('refuses names, versions and types the plugin cannot serve', () => {
    assert.throws(() => renderConflist({ networkName: 'bad name' }), /network name/);
    assert.throws(() => renderConflist({ networkName: 'podnet', cniVersion: '0.3.1' }), /cniVersion/);
    assert.throws(() => renderConflist({ networkName: 'podnet', pluginType: '../bin/sh' }), /plugin type/);
  });
});
