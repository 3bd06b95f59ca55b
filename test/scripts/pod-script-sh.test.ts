// The pod scripts run under sh, unprivileged: `ip` and the plugin are stubs on a temporary root
// (the scripts' /run/ paths are moved under it), so what the scripts decide can be watched (issue
// 10, 1.4: a namespace is podnet's only when podnet's address store holds an address for it).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CniSpec } from '../../src/model/types.js';
import { renderPodList } from '../../src/cli/pod-command.js';
import {
  POD_EXIT,
  parsePodDelOutput,
  parsePodListOutput,
  renderPodAddScript,
  renderPodDelScript,
  renderPodListScript,
} from '../../src/scripts/pod-script.js';

const STUB_IP = `#!/bin/sh
# ip netns add|del NAME, ip -n NAME -j -4 addr show: namespaces are files under $PODTEST_ROOT/run/netns.
echo "ip $*" >> "$PODTEST_ROOT/calls"
case "$1 $2" in
  'netns add') mkdir -p "$PODTEST_ROOT/run/netns" && : > "$PODTEST_ROOT/run/netns/$3" ;;
  'netns del') rm "$PODTEST_ROOT/run/netns/$3" ;;
  *) [ "$1" = -n ] && printf '[]' ;;
esac
`;

const STUB_PLUGIN = `#!/bin/sh
# ADD allocates 10.244.1.5 to the container id (host-local style: id CR LF ifname); DEL releases it.
echo "plugin $CNI_COMMAND $CNI_CONTAINERID" >> "$PODTEST_ROOT/calls"
store="$PODTEST_ROOT/data/podnet"
case "$CNI_COMMAND" in
  ADD) mkdir -p "$store" && printf '%s\\r\\n%s' "$CNI_CONTAINERID" "$CNI_IFNAME" > "$store/10.244.1.5"
       echo '{"cniVersion":"1.0.0","ips":[{"address":"10.244.1.5/24"}]}' ;;
  DEL) for f in "$store"/*; do [ -f "$f" ] && [ "$(head -n 1 "$f" | tr -d '\\r')" = "$CNI_CONTAINERID" ] && rm "$f"; done; true ;;
esac
`;

describe('pod scripts under sh: only podnet\'s namespaces are podnet\'s pods', () => {
  let root: string;
  let cni: CniSpec;

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'pnpodsh-'));
    for (const dir of ['bin', 'conf', 'data/podnet', 'run/netns', 'path']) mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, 'path', 'ip'), STUB_IP);
    chmodSync(join(root, 'path', 'ip'), 0o755);
    writeFileSync(join(root, 'bin', 'podnet'), STUB_PLUGIN);
    chmodSync(join(root, 'bin', 'podnet'), 0o755);
    writeFileSync(join(root, 'conf', '10-podnet.conflist'), '{}');
    cni = { binDir: join(root, 'bin'), confDir: join(root, 'conf'), dataDir: join(root, 'data'), networkName: 'podnet', cniVersion: '1.0.0' };
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const run = (script: string): { code: number | null; stdout: string; stderr: string } => {
    rmSync(join(root, 'calls'), { force: true });
    const r = spawnSync('/bin/sh', ['-c', script.replaceAll('/run/', `${root}/run/`)], {
      encoding: 'utf8',
      env: { PATH: `${join(root, 'path')}:/usr/bin:/bin`, PODTEST_ROOT: root },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const calls = (): string => (existsSync(join(root, 'calls')) ? readFileSync(join(root, 'calls'), 'utf8') : '');
  const netns = (name: string): string => join(root, 'run', 'netns', name);
  const FOREIGN = 'cni-0f3c6e1a-6d4b-4c55-9d1e-2a7b3c4d5e6f';

  test("pod del refuses containerd's cni-<uuid> namespace and touches nothing", () => {
    writeFileSync(netns(FOREIGN), '');
    const r = run(renderPodDelScript({ cni, pod: FOREIGN, netConfig: '{}' }));
    assert.equal(r.code, POD_EXIT.notPodnets, r.stderr);
    assert.ok(existsSync(netns(FOREIGN)), 'the namespace is still there');
    assert.equal(calls(), '', 'neither the plugin nor ip ran');
    const outcome = parsePodDelOutput(FOREIGN, r);
    assert.equal(outcome.ok, false);
    assert.match(outcome.ok ? '' : outcome.message, new RegExp(`^network namespace ${FOREIGN} is not podnet's \\(podnet's address store .*/data/podnet holds no address for it\\): left alone`));
  });

  test('pod add then pod del: the namespace and its allocation go', () => {
    const add = run(renderPodAddScript({ cni, pod: 'web1', netConfig: '{}' }));
    assert.equal(add.code, 0, add.stderr);
    const del = run(renderPodDelScript({ cni, pod: 'web1', netConfig: '{}' }));
    assert.equal(del.code, 0, del.stderr);
    assert.deepEqual(parsePodDelOutput('web1', del), { ok: true, existed: true });
    assert.equal(existsSync(netns('web1')), false);
    assert.equal(existsSync(join(root, 'data', 'podnet', '10.244.1.5')), false);
  });

  test('a namespace the store holds an allocation for (id CR LF ifname) is podnet\'s', () => {
    writeFileSync(netns('web2'), '');
    writeFileSync(join(root, 'data', 'podnet', '10.244.1.5'), 'web2\r\neth0');
    const del = run(renderPodDelScript({ cni, pod: 'web2', netConfig: '{}' }));
    assert.equal(del.code, 0, del.stderr);
    assert.equal(existsSync(netns('web2')), false);
    // A name that only starts like an allocated one is not it.
    writeFileSync(netns('web'), '');
    writeFileSync(join(root, 'data', 'podnet', '10.244.1.6'), 'web3\r\neth0');
    assert.equal(run(renderPodDelScript({ cni, pod: 'web', netConfig: '{}' })).code, POD_EXIT.notPodnets);
    assert.ok(existsSync(netns('web')));
    rmSync(netns('web'));
    rmSync(join(root, 'data', 'podnet', '10.244.1.6'));
  });

  test("pod list shows podnet's pods, and other namespaces apart as not podnet's", () => {
    assert.equal(run(renderPodAddScript({ cni, pod: 'web4', netConfig: '{}' })).code, 0);
    const r = run(renderPodListScript(cni));
    assert.equal(r.code, 0, r.stderr);
    const pods = parsePodListOutput(r.stdout);
    assert.deepEqual(
      pods.map((p) => [p.name, p.podnet]),
      [
        [FOREIGN, false],
        ['web4', true],
      ],
    );
    const text = renderPodList([{ node: 'node1', pods }]);
    assert.equal(text, `node1:\n  web4  (no IPv4 address)\n  not podnet's (left alone): ${FOREIGN}\n`);
  });
});
