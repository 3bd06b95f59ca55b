// The node scripts of `podnet pod add|del|list` and the parsing of their output (pure).
// `sh -n` and shellcheck of the rendered scripts: test/scripts/shellcheck.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CNI, type CniSpec } from '../../src/model/types.js';
import { pluginNetConfig } from '../../src/cni/conflist.js';
import {
  deployedPaths,
  describePluginError,
  parsePodAddOutput,
  parsePodDelOutput,
  parsePodListOutput,
  POD_EXIT,
  renderPodAddScript,
  renderPodDelScript,
  renderPodListScript,
  validatePodName,
} from '../../src/scripts/pod-script.js';

const CONFLIST = '{"cniVersion":"1.0.0","name":"podnet","plugins":[{"type":"podnet"}]}';
const NET_CONFIG = pluginNetConfig(CONFLIST);
const input = (pod: string, cni: CniSpec = DEFAULT_CNI) => ({ cni, pod, netConfig: NET_CONFIG });

describe('pod names', () => {
  test('DNS-label-like names are accepted', () => {
    for (const name of ['a', 'web1', 'web-1', '0', 'a'.repeat(42), 'x-y-z9']) validatePodName(name);
  });
  test('anything else is refused before a script is rendered', () => {
    for (const name of ['', '-a', 'a-', 'Web', 'a_b', 'a.b', 'a b', "a';reboot;'", '$(id)', 'a'.repeat(43), '../x', 'a\nb']) {
      assert.throws(() => validatePodName(name), /pod name/, name);
      assert.throws(() => renderPodAddScript(input(name)), /pod name/, name);
      assert.throws(() => renderPodDelScript(input(name)), /pod name/, name);
    }
  });
});

describe('network config on stdin', () => {
  test('the plugin entry merged with the list name and cniVersion, as libcni does', () => {
    assert.deepEqual(JSON.parse(NET_CONFIG), { cniVersion: '1.0.0', name: 'podnet', type: 'podnet' });
    const other = '{"cniVersion":"1.1.0","name":"n2","plugins":[{"type":"loopback"},{"type":"podnet","x":1}]}';
    assert.deepEqual(JSON.parse(pluginNetConfig(other)), { cniVersion: '1.1.0', name: 'n2', type: 'podnet', x: 1 });
  });
  test('a text that is not a conflist with a podnet plugin is refused', () => {
    assert.throws(() => pluginNetConfig('[]'), /object/);
    assert.throws(() => pluginNetConfig('{"name":"n","plugins":[]}'), /cniVersion/);
    assert.throws(() => pluginNetConfig('{"name":"n","cniVersion":"1.0.0","plugins":[{"type":"bridge"}]}'), /no plugin of type podnet/);
  });
});

describe('rendered scripts', () => {
  test('deployed paths follow CniSpec (plugin, conflist, store)', () => {
    assert.deepEqual(deployedPaths({ ...DEFAULT_CNI, binDir: '/usr/libexec/cni/', networkName: 'pn' }), {
      plugin: '/usr/libexec/cni/podnet',
      conflist: '/etc/cni/net.d/10-pn.conflist',
      store: '/var/lib/cni/networks/pn',
    });
  });

  test('add runs the plugin with the CNI environment and the config on stdin, and undoes the namespace on failure', () => {
    const script = renderPodAddScript(input('web1'));
    assert.match(script, /^pod=web1$/m);
    assert.match(script, /^netns=\/run\/netns\/web1$/m);
    assert.match(script, /^plugin=\/opt\/cni\/bin\/podnet$/m);
    assert.match(script, /^conflist=\/etc\/cni\/net\.d\/10-podnet\.conflist$/m);
    assert.match(script, /^config='\{"cniVersion":"1\.0\.0","name":"podnet","type":"podnet"\}'$/m);
    assert.match(script, /CNI_COMMAND="\$1" CNI_CONTAINERID="\$pod" CNI_NETNS="\$netns" CNI_IFNAME=eth0 CNI_PATH="\$cni_path" "\$plugin"/);
    assert.match(script, /ip netns add "\$pod"/);
    assert.match(script, /run_plugin ADD/);
    assert.match(script, /ip netns del "\$pod"/);
    assert.match(script, new RegExp(`exit ${POD_EXIT.exists}`));
  });

  test('del runs DEL, then removes the namespace only when it exists', () => {
    const script = renderPodDelScript(input('web1'));
    assert.match(script, /run_plugin DEL/);
    assert.ok(script.indexOf('run_plugin DEL') < script.indexOf('ip netns del'));
    assert.match(script, /if \[ "\$existed" = 1 \]/);
  });

  test('unsafe CNI paths and names are refused', () => {
    assert.throws(() => renderPodAddScript(input('a', { ...DEFAULT_CNI, binDir: '/opt/$(id)' })), /binDir/);
    assert.throws(() => renderPodDelScript(input('a', { ...DEFAULT_CNI, confDir: 'relative' })), /confDir/);
    assert.throws(() => renderPodListScript({ ...DEFAULT_CNI, dataDir: '/var/../etc' }), /dataDir/);
    assert.throws(() => renderPodListScript({ ...DEFAULT_CNI, networkName: 'a b' }), /network name/);
  });

  test('a network config with quotes stays one quoted word', () => {
    const script = renderPodAddScript({ cni: DEFAULT_CNI, pod: 'a', netConfig: `{"x":"it's"}` });
    assert.match(script, /^config='\{"x":"it'\\''s"\}'$/m);
  });
});

describe('parsing what the node sent back', () => {
  const result = {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'pn1', mac: 'aa:bb:cc:dd:ee:ff' }, { name: 'eth0', mac: '11:22:33:44:55:66', sandbox: '/run/netns/web1' }],
    ips: [{ address: '10.244.1.2/24', gateway: '10.244.1.1', interface: 1 }],
    routes: [{ dst: '0.0.0.0/0', gw: '10.244.1.1' }],
    dns: {},
  };

  test('add: the CNI result and its addresses', () => {
    const outcome = parsePodAddOutput('web1', { code: 0, stdout: JSON.stringify(result) + '\n', stderr: '' });
    assert.deepEqual(outcome, { ok: true, result, addresses: [{ address: '10.244.1.2/24', gateway: '10.244.1.1' }] });
  });

  test('add: each failure has its own clear message', () => {
    const notDeployed = parsePodAddOutput('web1', { code: POD_EXIT.notDeployed, stdout: '', stderr: '/opt/cni/bin/podnet\n' });
    assert.equal(notDeployed.ok, false);
    assert.match(!notDeployed.ok ? notDeployed.message : '', /not deployed \(\/opt\/cni\/bin\/podnet missing\): run podnet apply first/);
    const exists = parsePodAddOutput('web1', { code: POD_EXIT.exists, stdout: '', stderr: '' });
    assert.deepEqual(exists, { ok: false, reason: 'exists', message: 'already exists (/run/netns/web1)' });
    const pluginError = JSON.stringify({ cniVersion: '1.0.0', code: 11, msg: 'no free address in 10.244.1.0/30', details: '' });
    const failed = parsePodAddOutput('web1', { code: POD_EXIT.pluginFailed, stdout: pluginError + '\n', stderr: 'noise' });
    assert.deepEqual(failed, {
      ok: false,
      reason: 'plugin-failed',
      message: 'the CNI plugin failed with code 11: no free address in 10.244.1.0/30; namespace web1 removed',
    });
    const netns = parsePodAddOutput('web1', { code: POD_EXIT.netnsFailed, stdout: '', stderr: 'Cannot create namespace file "/run/netns/web1": File exists\n' });
    assert.match(!netns.ok ? netns.message : '', /cannot create network namespace web1: .*File exists/);
    const garbage = parsePodAddOutput('web1', { code: 0, stdout: 'not json', stderr: '' });
    assert.equal(garbage.ok, false);
    assert.equal(parsePodAddOutput('web1', { code: 127, stdout: '', stderr: 'sh: ip: not found' }).ok, false);
  });

  test('plugin errors that are not JSON are shown raw', () => {
    assert.equal(describePluginError('', 'sh: 1: flock: not found\n'), 'the CNI plugin failed: sh: 1: flock: not found');
    assert.equal(
      describePluginError('{"code":100,"msg":"ip failed","details":"RTNETLINK answers: File exists"}', ''),
      'the CNI plugin failed with code 100: ip failed (RTNETLINK answers: File exists)',
    );
  });

  test('del: deleted, already gone, or the error', () => {
    assert.deepEqual(parsePodDelOutput('web1', { code: 0, stdout: 'existed=1\n', stderr: '' }), { ok: true, existed: true });
    assert.deepEqual(parsePodDelOutput('web1', { code: 0, stdout: 'existed=0\n', stderr: '' }), { ok: true, existed: false });
    assert.equal(parsePodDelOutput('web1', { code: POD_EXIT.notDeployed, stdout: '', stderr: '' }).ok, false);
    const failed = parsePodDelOutput('web1', { code: POD_EXIT.pluginFailed, stdout: '{"code":7,"msg":"bad config"}', stderr: '' });
    assert.deepEqual(failed, { ok: false, reason: 'plugin-failed', message: 'the CNI plugin failed with code 7: bad config' });
  });

  test('list: namespaces with their addresses, allocations matched by container id, orphans after', () => {
    const addr = (dev: string, local: string) => ({ ifindex: 2, ifname: dev, addr_info: [{ family: 'inet', local, prefixlen: 24 }] });
    const stdout = [
      '@@podnet netns web2',
      JSON.stringify([{ ifindex: 1, ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] }, addr('eth0', '10.244.1.3')]),
      '@@podnet netns web1',
      JSON.stringify([addr('eth0', '10.244.1.2')]),
      '@@podnet netns empty',
      '[]',
      '@@podnet netns broken',
      'Cannot open network namespace',
      '@@podnet allocation 10.244.1.2 web1 eth0',
      '@@podnet allocation 10.244.1.3 web2 eth0',
      '@@podnet allocation 10.244.1.9 4f2a9c eth0',
      '',
    ].join('\n');
    assert.deepEqual(parsePodListOutput(stdout), [
      { name: 'broken', netns: true, addresses: [], allocated: [], podnet: false },
      { name: 'empty', netns: true, addresses: [], allocated: [], podnet: false },
      { name: 'web1', netns: true, addresses: ['10.244.1.2/24'], allocated: ['10.244.1.2'], podnet: true },
      { name: 'web2', netns: true, addresses: ['10.244.1.3/24'], allocated: ['10.244.1.3'], podnet: true },
      { name: '4f2a9c', netns: false, addresses: [], allocated: ['10.244.1.9'], podnet: true },
    ]);
    assert.deepEqual(parsePodListOutput(''), []);
  });
});
