// shellcheck (as POSIX sh, every check down to style) on every script podnet sends to a node,
// rendered with realistic inputs, and on the CNI plugin's source file itself. A missing shellcheck
// is a failure, not a skip: scripts/install-prereqs.sh installs it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_CNI, type CniSpec, type ObservedState } from '../../src/model/types.js';
import { renderGatherCommand } from '../../src/scripts/gather-script.js';
import { renderApplyCommand } from '../../src/scripts/apply-script.js';
import { renderPodAddScript, renderPodDelScript, renderPodListScript } from '../../src/scripts/pod-script.js';
import { renderVerifyCleanupScript, renderVerifyProbeScript, renderVerifySetupScript, type Probe } from '../../src/scripts/probe-script.js';
import { renderPlugin } from '../../src/cni/render-plugin.js';
import { pluginNetConfig, renderConflist } from '../../src/cni/conflist.js';
import { planDestroyNode } from '../../src/plan/destroy.js';
import { planNode } from '../../src/plan/plan-node.js';
import { planRollback } from '../../src/plan/rollback.js';
import { renderArmTimer, renderConfirmCommand, renderLockPreamble, renderRollbackScript, rollbackDir } from '../../src/scripts/confirm-script.js';
import { desiredState } from '../../src/state/desired.js';
import { renderReachScript } from '../../src/scripts/reach-script.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';
import { loadObserved } from '../support/ip-fixtures.js';

const PLUGIN_FILE = join(process.cwd(), 'src', 'cni', 'plugin.sh');
const CUSTOM_CNI: CniSpec = { ...DEFAULT_CNI, binDir: '/usr/libexec/cni', confDir: '/srv/cni/net.d', dataDir: '/srv/cni-store', networkName: 'lab.net_1' };
const MANAGED_FILES = ['/opt/cni/bin/podnet', '/etc/cni/net.d/10-podnet.conflist', '/etc/iproute2/rt_protos.d/podnet.conf'];
const NET_CONFIG = pluginNetConfig(renderConflist({ networkName: 'podnet' }));
const VERIFY = { cni: DEFAULT_CNI, probeId: 'abcd12', node: 'node1', netConfig: NET_CONFIG };
const PROBES: Probe[] = [
  { id: 0, check: 'pod-to-pod-cross-node', from: 'node1', to: 'node2', command: { kind: 'ping', netns: 'podnet-probe-abcd12-a', target: '10.244.2.2' } },
  { id: 1, check: 'mtu', from: 'node1', to: 'node2', command: { kind: 'ping', netns: 'podnet-probe-abcd12-a', target: '10.244.2.2', dontFragmentSize: 1472, retry: true } },
  { id: 2, check: 'node-to-pod', from: 'node1', to: 'node1', command: { kind: 'ping', target: '10.244.1.2' } },
  { id: 3, check: 'source-address', from: 'node1', to: 'node2', command: { kind: 'tcp', netns: 'podnet-probe-abcd12-a', target: '10.244.2.2', port: 7946, client: 'nc' } },
  { id: 4, check: 'source-address', from: 'node1', to: 'node3', command: { kind: 'tcp', netns: 'podnet-probe-abcd12-a', target: '10.244.3.2', port: 7946, client: 'socat' } },
];

/**
 * The apply commands of a from-scratch node (planned by the real planner: a sysctl, an ip batch,
 * podnet's iptables chains and rules, two files) and of its destroy (a pod removed through the
 * plugin's DEL script, iptables deletes, routes, the bridge, rm of the files and the store).
 */
function renderSampleApplies(): Array<[string, string]> {
  const cluster = classicCluster({ egress: { masquerade: true } });
  const empty: ObservedState = {
    node: 'node1',
    links: [],
    addresses: [],
    routes: [],
    ipForward: false,
    files: MANAGED_FILES.slice(0, 2).map((path) => ({ path, sha256: null })),
    firewall: { available: true, chains: [], rules: [] },
  };
  const create = planNode(desiredState(cluster, classicSubnets(cluster), 'node1'), empty, { podCidr: cluster.podCidr, nodeAddress: '192.168.1.11' });
  assert.ok(create.changes.some((c) => c.kind === 'file') && create.changes.some((c) => c.kind === 'rule'), 'a plan with files and rules');
  const deployed: ObservedState = {
    ...loadObserved('converged'),
    files: MANAGED_FILES.slice(0, 2).map((path) => ({ path, sha256: 'ab'.repeat(32), mode: '755', mentionsPodnet: true })),
    pods: { netns: ['pod-a'], allocations: [{ ip: '10.244.1.2', containerId: 'pod-a', ifname: 'eth0' }], storeExists: true },
  };
  const destroy = planDestroyNode(cluster, { name: 'node1', address: '192.168.1.11' }, deployed);
  assert.ok(destroy.changes.some((c) => c.steps.some((step) => step.run === 'script')), 'a destroy plan with a script step');
  const rollback = planRollback(create.changes, rollbackDir('abc123'));
  const holder = { controller: 'ctl-a', pid: 4242, since: '2026-12-03T10:00:00.000Z', what: 'apply' };
  const preamble = renderLockPreamble({ holder, timeoutSeconds: 30 }) + renderArmTimer({ applyId: 'abc123', seconds: 60, rollback: rollback.changes, save: rollback.save });
  return [
    ['apply --confirm (lock, timer, steps)', renderApplyCommand(create.changes, MANAGED_FILES, { cni: DEFAULT_CNI }, preamble)],
    ['rollback script', renderRollbackScript('abc123', rollback.changes)],
    ['confirm', renderConfirmCommand('abc123')],
    ['confirm (roll back now)', renderConfirmCommand('abc123', true)],
    ['reach check after a batch', renderReachScript('10.244.1.1', ['10.244.2.1', '10.244.3.1'])],
    ['apply (from scratch)', renderApplyCommand(create.changes, MANAGED_FILES, { cni: DEFAULT_CNI })],
    ['apply (destroy)', renderApplyCommand(destroy.changes, MANAGED_FILES, { cni: DEFAULT_CNI })],
  ];
}

/** Every script podnet sends to a node, by a name for the failure message. */
const WORK_DIR = '/tmp/podnet-verify-abcd12-node1.Ab12Cd34Ef';

function renderedScripts(): Array<[string, string]> {
  return [
    ['gather (no files, no pods)', renderGatherCommand()],
    ['gather (files and pods)', renderGatherCommand(MANAGED_FILES, { cni: DEFAULT_CNI })],
    ['gather (custom CNI paths)', renderGatherCommand(MANAGED_FILES, { cni: CUSTOM_CNI })],
    ...renderSampleApplies(),
    ['pod add', renderPodAddScript({ cni: DEFAULT_CNI, pod: 'web1', netConfig: NET_CONFIG })],
    ['pod del', renderPodDelScript({ cni: DEFAULT_CNI, pod: 'web1', netConfig: NET_CONFIG })],
    ['pod list', renderPodListScript(DEFAULT_CNI)],
    ['pod list (custom CNI paths)', renderPodListScript(CUSTOM_CNI)],
    ['verify setup', renderVerifySetupScript(VERIFY)],
    ['verify probe', renderVerifyProbeScript('abcd12', 'node1', PROBES, WORK_DIR)],
    ['verify cleanup', renderVerifyCleanupScript({ ...VERIFY, workDir: WORK_DIR })],
    ['verify cleanup (no work dir reported)', renderVerifyCleanupScript(VERIFY)],
    ['plugin (default)', renderPlugin({ networkName: 'podnet', bridge: 'v-net-0', subnet: '10.244.1.0/24', gateway: '10.244.1.1', mtu: 1500 })],
    ['plugin (custom)', renderPlugin({ networkName: 'lab.net_1', bridge: 'br-pods', subnet: '172.20.0.0/16', gateway: '172.20.255.254', mtu: 9000, dataDir: '/srv/cni-store' })],
  ];
}

function requireShellcheck(): void {
  const version = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
  assert.ok(
    version.error === undefined && version.status === 0,
    'shellcheck is not installed: run scripts/install-prereqs.sh (or apt-get install -y --no-install-recommends shellcheck)',
  );
}

describe('shellcheck on every node script', () => {
  it('the CNI plugin source file, src/cni/plugin.sh (line numbers are the file\'s)', () => {
    requireShellcheck();
    const r = spawnSync('shellcheck', ['--shell=sh', '--severity=style', PLUGIN_FILE], { encoding: 'utf8' });
    assert.equal(r.status, 0, `shellcheck ${PLUGIN_FILE}:\n${r.stdout}${r.stderr}`);
  });

  for (const [name, script] of renderedScripts()) {
    it(`${name}: sh -n, and shellcheck with no finding`, () => {
      requireShellcheck();
      const syntax = spawnSync('sh', ['-n'], { input: script, encoding: 'utf8' });
      assert.equal(syntax.status, 0, `sh -n ${name}: ${syntax.stderr}`);
      const lint = spawnSync('shellcheck', ['--shell=sh', '--severity=style', '-'], { input: script, encoding: 'utf8' });
      const numbered = script.split('\n').map((line, i) => `${String(i + 1).padStart(4)}  ${line}`).join('\n');
      assert.equal(lint.status, 0, `shellcheck ${name}:\n${lint.stdout}${lint.stderr}\n--- the script ---\n${numbered}`);
    });
  }
});
