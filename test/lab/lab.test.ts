// The lab end to end: real namespaces, real sshd, the real OpenSSH client. Needs root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  labDown,
  labHostKeyFingerprint,
  labNodeExec,
  labRegenerateHostKey,
  labStartNode,
  labStatus,
  labStopNode,
  labUp,
  type LabInfo,
} from '../../src/lab/lab.js';
import { LAB_ROOT_DIR, labNodePaths, labPaths } from '../../src/lab/lab-layout.js';
import { labLockFile } from '../../src/lab/lab-lock.js';
import { isProcessAlive } from '../../src/lab/processes.js';
import { checkLabPrerequisites } from '../../src/lab/prerequisites.js';
import { UserError } from '../../src/model/errors.js';
import { sshToNode, startTestLab, stopTestLab, testLabName } from '../support/lab.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns', 'sshd');

function run(argv: string[]): { code: number; stdout: string; stderr: string } {
  const [program, ...args] = argv;
  const r = spawnSync(program ?? 'false', args, { encoding: 'utf8' });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

function netnsNames(): string[] {
  return run(['ip', 'netns', 'list'])
    .stdout.split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

/** Addresses and routes of the root namespace, in a comparable form. */
function rootNetworkSnapshot(): { addresses: string[]; routes: string[] } {
  const links = JSON.parse(run(['ip', '-j', 'addr', 'show']).stdout) as {
    ifname: string;
    addr_info?: { family: string; local: string; prefixlen: number }[];
  }[];
  const addresses = links.flatMap((l) => (l.addr_info ?? []).map((a) => `${l.ifname} ${a.family} ${a.local}/${a.prefixlen}`));
  const routes = [
    ...(JSON.parse(run(['ip', '-j', 'route', 'show', 'table', 'all']).stdout) as unknown[]),
    ...(JSON.parse(run(['ip', '-j', '-6', 'route', 'show', 'table', 'all']).stdout) as unknown[]),
  ].map((r) => JSON.stringify(r));
  return { addresses: addresses.sort(), routes: routes.sort() };
}

function podnetCli(args: string[]): { code: number; stdout: string; stderr: string } {
  return run([process.execPath, 'dist/src/cli/main.js', ...args]);
}

async function nodeExec(lab: LabInfo, node: string, script: string): Promise<string> {
  const r = await labNodeExec(lab.name, node, ['sh', '-c', script]);
  assert.equal(r.code, 0, `${node}: ${script}: ${r.stderr}`);
  return r.stdout;
}

describe('a 3-node lab', { skip: requirement, timeout: 120_000 }, () => {
  let lab: LabInfo | undefined;
  let rootBefore: ReturnType<typeof rootNetworkSnapshot>;

  const theLab = (): LabInfo => {
    assert.ok(lab, 'lab is up');
    return lab;
  };

  before(async () => {
    rootBefore = rootNetworkSnapshot();
    lab = await startTestLab(3);
  });
  after(() => stopTestLab(lab));

  test('has a switch and 3 node namespaces, and state files where the contract says', () => {
    const l = theLab();
    const names = netnsNames();
    for (const ns of [l.switchNetns, ...l.nodes.map((n) => n.netns)]) assert.ok(names.includes(ns), ns);
    assert.deepEqual(
      l.nodes.map((n) => [n.name, n.address, n.netns]),
      [1, 2, 3].map((i) => [`node${i}`, `192.168.1.${10 + i}`, `pnlab-${l.name}-node${i}`]),
    );
    assert.equal(l.proxyCommand, `ip netns exec pnlab-${l.name}-sw nc %h %p`);
    for (const file of [l.identityFile, `${l.identityFile}.pub`, l.knownHostsFile, l.clusterFile, labPaths(l.name).stateFile]) {
      assert.ok(existsSync(file), file);
    }
    const state = JSON.parse(readFileSync(labPaths(l.name).stateFile, 'utf8')) as { name: string; created: string; nodes: unknown[] };
    assert.equal(state.name, l.name);
    assert.deepEqual(state.nodes, l.nodes);
    assert.ok(!Number.isNaN(Date.parse(state.created)));
    const sw = run(['ip', '-n', l.switchNetns, '-j', 'addr', 'show', 'sw0']).stdout;
    assert.match(sw, /"local":"192\.168\.1\.1","prefixlen":24/);
  });

  test('each sshd listens on its own node address, and nowhere else', () => {
    for (const node of theLab().nodes) {
      const r = run(['ss', '-N', node.netns, '-Hltn', 'sport = :22']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)[3]),
        [`${node.address}:22`],
      );
    }
  });

  test('the real OpenSSH client reaches every node: `podnet lab ssh node1 -- hostname` prints node1', async () => {
    const l = theLab();
    const cli = podnetCli(['lab', 'ssh', 'node1', '--name', l.name, '--', 'hostname']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.stdout, 'node1\n');
    for (const node of ['node2', 'node3']) {
      const r = await sshToNode(l, node, ['hostname']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${node}\n`);
    }
    assert.equal(podnetCli(['lab', 'ssh', 'node1', '--name', l.name, '--', 'exit 7']).code, 7);
  });

  test('`podnet lab ssh NODE` without --name: with several labs running it lists them and asks for --name', async () => {
    const l = theLab();
    const second = await startTestLab(1);
    try {
      const cli = podnetCli(['lab', 'ssh', 'node1', '--', 'hostname']);
      assert.equal(cli.code, 1);
      assert.equal(cli.stdout, '');
      assert.match(cli.stderr, /^podnet: \d+ labs are running; say which with --name:\n/);
      assert.match(cli.stderr, new RegExp(`^  ${l.name} \\(3 nodes up\\)$`, 'm'));
      assert.match(cli.stderr, new RegExp(`^  ${second.name} \\(1 node up\\)$`, 'm'));
      assert.match(cli.stderr, /for example: podnet lab ssh node1 --name [a-z0-9]+$/m);
      const named = podnetCli(['lab', 'ssh', 'node1', '--name', second.name, '--', 'hostname']);
      assert.equal(named.code, 0, named.stderr);
    } finally {
      await stopTestLab(second);
    }
  });

  test('a pod namespace made over SSH on node1 is node1\'s alone', async () => {
    const l = theLab();
    const pod = `pod${l.name}`;
    const add = await sshToNode(l, 'node1', ['ip', 'netns', 'add', pod]);
    assert.equal(add.code, 0, add.stderr);
    assert.match((await sshToNode(l, 'node1', ['ip', 'netns', 'list'])).stdout, new RegExp(`^${pod}\\b`, 'm'));
    assert.match(await nodeExec(l, 'node1', 'ip netns list'), new RegExp(`^${pod}\\b`, 'm'), 'labNodeExec sees node1 pods');
    assert.doesNotMatch((await sshToNode(l, 'node2', ['ip', 'netns', 'list'])).stdout, new RegExp(pod));
    assert.doesNotMatch(await nodeExec(l, 'node2', 'ip netns list'), new RegExp(pod));
    assert.ok(!netnsNames().includes(pod), 'not in the root namespace');
    // Inside a node, /run/netns holds the node's pods only, not the lab's (or anyone's) namespaces.
    assert.doesNotMatch(await nodeExec(l, 'node1', 'ip netns list'), /pnlab-/);
  });

  test('/etc/cni, /opt/cni/bin, /var/lib/cni and /root are each node\'s own', async () => {
    const l = theLab();
    const marker = `conf-${l.name}`;
    const write = await sshToNode(l, 'node1', [
      `mkdir -p /etc/cni/net.d && echo node1 > /etc/cni/net.d/${marker} && echo bin > /opt/cni/bin/${marker} && echo ipam > /var/lib/cni/${marker} && echo home > /root/${marker}`,
    ]);
    assert.equal(write.code, 0, write.stderr);
    const dirs = labNodePaths(l.name, 'node1');
    assert.equal(readFileSync(`${dirs.etcCniDir}/net.d/${marker}`, 'utf8'), 'node1\n');
    assert.equal(readFileSync(`${dirs.cniBinDir}/${marker}`, 'utf8'), 'bin\n');
    assert.equal(readFileSync(`${dirs.cniStateDir}/${marker}`, 'utf8'), 'ipam\n');
    assert.equal(readFileSync(`${dirs.rootHomeDir}/${marker}`, 'utf8'), 'home\n');
    for (const path of [`/etc/cni/net.d/${marker}`, `/opt/cni/bin/${marker}`, `/var/lib/cni/${marker}`, `/root/${marker}`]) {
      assert.ok(!existsSync(path), `${path} is not on the machine's own disk`);
      const other = await sshToNode(l, 'node2', ['test', '!', '-e', path]);
      assert.equal(other.code, 0, `${path} is not on node2`);
    }
  });

  test('a node forwards nothing until podnet says so: ip_forward starts at 0', async () => {
    assert.equal((await nodeExec(theLab(), 'node1', 'cat /proc/sys/net/ipv4/ip_forward')).trim(), '0');
  });

  test('status reports every node up', async () => {
    const l = theLab();
    const status = (await labStatus()).find((s) => s.name === l.name);
    assert.ok(status);
    assert.equal(status.hasState, true);
    assert.equal(status.switchNetnsExists, true);
    assert.deepEqual(
      status.nodes.map((n) => [n.name, n.up, n.pid]),
      l.nodes.map((n) => [n.name, true, n.pid]),
    );
    const cli = podnetCli(['lab', 'status']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, new RegExp(`^lab ${l.name}: 3/3 nodes up$`, 'm'));
  });

  test('up again returns the running lab as is', async () => {
    const l = theLab();
    const again = await labUp({ name: l.name });
    assert.deepEqual(again, l);
    await assert.rejects(labUp({ name: l.name, nodes: 4 }), UserError);
  });

  test('stop and start a node: unreachable while stopped, same host key after', async () => {
    const l = theLab();
    const before = await labHostKeyFingerprint(l.name, 'node3');
    const oldPid = l.nodes[2]?.pid ?? 0;
    await labStopNode(l.name, 'node3');
    assert.equal(await isProcessAlive(oldPid), false);
    assert.ok(netnsNames().includes(`pnlab-${l.name}-node3`), 'the namespace stays');
    const status = (await labStatus()).find((s) => s.name === l.name);
    assert.deepEqual(status?.nodes.map((n) => n.up), [true, true, false]);
    const refused = await sshToNode(l, 'node3', ['true']);
    assert.notEqual(refused.code, 0);
    await assert.rejects(labNodeExec(l.name, 'node3', ['true']), UserError);
    const cli = podnetCli(['lab', 'ssh', 'node3', '--name', l.name, '--', 'true']);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /node3 is down/);

    const started = await labStartNode(l.name, 'node3');
    assert.notEqual(started.pid, oldPid);
    assert.equal(await labHostKeyFingerprint(l.name, 'node3'), before);
    const r = await sshToNode(l, 'node3', ['hostname']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'node3\n');
    // The address stayed: the node is still 192.168.1.13 on eth0.
    assert.match(await nodeExec(l, 'node3', 'ip -br addr show eth0'), /192\.168\.1\.13\/24/);
    lab = { ...l, nodes: l.nodes.map((n) => (n.name === 'node3' ? started : n)) };
  });

  test('a regenerated host key is served, changes the fingerprint, and the client refuses it', async () => {
    const l = theLab();
    const before = await labHostKeyFingerprint(l.name, 'node2');
    const knownHostsBefore = readFileSync(l.knownHostsFile, 'utf8');
    const node = await labRegenerateHostKey(l.name, 'node2');
    lab = { ...l, nodes: l.nodes.map((n) => (n.name === 'node2' ? node : n)) };
    const after = await labHostKeyFingerprint(l.name, 'node2');
    assert.notEqual(after, before);
    assert.equal(readFileSync(l.knownHostsFile, 'utf8'), knownHostsBefore, 'known_hosts is left as it was');
    // What the node really serves (ssh-keyscan from the switch, no login): the new key.
    const served = run(['ip', 'netns', 'exec', l.switchNetns, 'ssh-keyscan', '-t', 'ed25519', node.address]);
    assert.equal(served.code, 0, served.stderr);
    const newKey = readFileSync(labNodePaths(l.name, 'node2').hostPublicKeyFile, 'utf8').split(' ')[1] ?? '';
    assert.ok(newKey !== '' && served.stdout.includes(newKey));
    const refused = await sshToNode(l, 'node2', ['true']);
    assert.equal(refused.code, 255);
    assert.match(refused.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  test('up on a half-dead lab (a stopped node) rebuilds it', async () => {
    const l = theLab();
    await labStopNode(l.name, 'node1');
    const rebuilt = await labUp({ name: l.name, nodes: 3 });
    lab = rebuilt;
    assert.equal(rebuilt.nodes.length, 3);
    const status = (await labStatus()).find((s) => s.name === l.name);
    assert.deepEqual(status?.nodes.map((n) => n.up), [true, true, true]);
    const r = await sshToNode(rebuilt, 'node2', ['hostname']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('the root namespace gained no address and no route', () => {
    assert.deepEqual(rootNetworkSnapshot(), rootBefore);
  });
});

describe('lab down', { skip: requirement, timeout: 120_000 }, () => {
  test('removes every namespace, process and the state dir; a second down succeeds', async () => {
    const lab = await startTestLab(2);
    try {
      const pids = lab.nodes.map((n) => n.pid);
      // Leftovers a test might leave: a process in a pod namespace started through labNodeExec,
      // and one started over SSH.
      const tag = String(900_000 + Math.floor(Math.random() * 99_999));
      const viaExec = await labNodeExec(lab.name, 'node1', [
        'sh', '-c', `ip netns add p${lab.name} && ip netns exec p${lab.name} sleep ${tag} >/dev/null 2>&1 &`,
      ]);
      assert.equal(viaExec.code, 0, viaExec.stderr);
      const viaSsh = await sshToNode(lab, 'node2', [`nohup sleep ${Number(tag) + 1} >/dev/null 2>&1 &`]);
      assert.equal(viaSsh.code, 0, viaSsh.stderr);
      const sleepers = (): string[] =>
        run(['pgrep', '-f', `^sleep (${tag}|${Number(tag) + 1})$`]).stdout.split('\n').filter((l) => l !== '');
      // Backgrounded, they may not have exec'd sleep yet when their starters return.
      for (const deadline = Date.now() + 10_000; sleepers().length < 2 && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(sleepers().length, 2);
      const { removed } = await labDown(lab.name);
      assert.deepEqual(sleepers(), [], 'no process the lab ran is left');
      assert.deepEqual(removed.sort(), [lab.stateDir, ...lab.nodes.map((n) => n.netns), lab.switchNetns].sort());
      assert.deepEqual(netnsNames().filter((n) => n.startsWith(`pnlab-${lab.name}-`)), []);
      for (const pid of pids) assert.equal(await isProcessAlive(pid), false, `pid ${pid}`);
      assert.ok(!existsSync(lab.stateDir));
      assert.deepEqual(await labDown(lab.name), { removed: [], restored: [] });
      assert.equal((await labStatus()).some((s) => s.name === lab.name), false);
      const cli = podnetCli(['lab', 'down', '--name', lab.name]);
      assert.equal(cli.code, 0, cli.stderr);
    } finally {
      await stopTestLab(lab);
    }
  });

  test('cleans up after a crash that lost lab.json', async () => {
    const lab = await startTestLab(2);
    try {
      rmSync(labPaths(lab.name).stateFile);
      const status = (await labStatus()).find((s) => s.name === lab.name);
      assert.equal(status?.hasState, false);
      assert.deepEqual(status?.nodes.map((n) => [n.name, n.up]), [['node1', true], ['node2', true]]);
      await labDown(lab.name);
      assert.deepEqual(netnsNames().filter((n) => n.startsWith(`pnlab-${lab.name}-`)), []);
      for (const node of lab.nodes) assert.equal(await isProcessAlive(node.pid), false);
      assert.ok(!existsSync(lab.stateDir));
    } finally {
      await stopTestLab(lab);
    }
  });

  test('cleans up after `lab up` was killed half way', async () => {
    const name = testLabName();
    const up = spawn(process.execPath, ['dist/src/cli/main.js', 'lab', 'up', '--nodes', '20', '--name', name], { stdio: 'ignore' });
    try {
      // Kill it once some node runs its sshd: namespaces, processes and files all half made.
      const deadline = Date.now() + 60_000;
      while (run(['pgrep', '-f', `^sshd: /usr/sbin/sshd -D -f /run/podnet/lab/${name}/`]).stdout === '' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      up.kill('SIGKILL');
      await new Promise((resolve) => up.once('exit', resolve));
      assert.ok(netnsNames().some((n) => n.startsWith(`pnlab-${name}-`)), 'the killed run left namespaces');
      await labDown(name);
      assert.deepEqual(netnsNames().filter((n) => n.startsWith(`pnlab-${name}-`)), []);
      assert.equal(run(['pgrep', '-f', `/run/podnet/lab/${name}/`]).stdout, '', 'no process of the lab is left');
      assert.ok(!existsSync(labPaths(name).stateDir));
    } finally {
      up.kill('SIGKILL');
      await stopTestLab(name);
    }
  });

  test('cleans up sshd left running after its namespace and lab.json were deleted by hand', async () => {
    const lab = await startTestLab(2);
    try {
      rmSync(labPaths(lab.name).stateFile);
      assert.equal(run(['ip', 'netns', 'del', lab.nodes[0]?.netns ?? '']).code, 0);
      await labDown(lab.name);
      for (const node of lab.nodes) assert.equal(await isProcessAlive(node.pid), false, node.name);
      assert.deepEqual(netnsNames().filter((n) => n.startsWith(`pnlab-${lab.name}-`)), []);
    } finally {
      await stopTestLab(lab);
    }
  });

  test('cleans up a lab whose lab.json is corrupt', async () => {
    const lab = await startTestLab(1);
    try {
      // down must still find and end the sshd through its namespace.
      writeFileSync(labPaths(lab.name).stateFile, '{ not json');
      await labDown(lab.name);
      assert.equal(await isProcessAlive(lab.nodes[0]?.pid ?? 0), false);
      assert.deepEqual(netnsNames().filter((n) => n.startsWith(`pnlab-${lab.name}-`)), []);
    } finally {
      await stopTestLab(lab);
    }
  });
});

describe('lab nodes and the namespaces of others', { skip: requirement, timeout: 60_000 }, () => {
  test('a namespace that existed when a node started still goes away with `ip netns del`', async () => {
    const name = testLabName();
    const pinned = `pnlab-${name}-pin`;
    const witness = `pnlab-${name}-witness`;
    try {
      // A veth between two namespaces: its witness end vanishes only when `pinned` is really destroyed.
      assert.equal(run(['ip', 'netns', 'add', pinned]).code, 0);
      assert.equal(run(['ip', 'netns', 'add', witness]).code, 0);
      const veth = run(['ip', '-n', pinned, 'link', 'add', 'pina', 'type', 'veth', 'peer', 'name', 'pinb', 'netns', witness]);
      assert.equal(veth.code, 0, veth.stderr);
      await labUp({ name, nodes: 1 });
      assert.equal(run(['ip', 'netns', 'del', pinned]).code, 0);
      const gone = (): boolean => run(['ip', '-n', witness, 'link', 'show', 'pinb']).code !== 0;
      for (const deadline = Date.now() + 10_000; !gone() && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(gone(), 'the lab node does not keep the deleted namespace alive');
    } finally {
      await stopTestLab(name);
      run(['ip', 'netns', 'del', pinned]);
      run(['ip', 'netns', 'del', witness]);
    }
  });
});

describe('one lab, one writer', { skip: requirement, timeout: 120_000 }, () => {
  test('two concurrent ups of one lab build it once and return the same lab', async () => {
    const name = testLabName();
    try {
      const [a, b] = await Promise.all([labUp({ name, nodes: 2 }), labUp({ name, nodes: 2 })]);
      assert.deepEqual(a, b);
      assert.deepEqual(netnsNames().filter((n) => n.startsWith(`pnlab-${name}-`)).sort(), [
        `pnlab-${name}-node1`,
        `pnlab-${name}-node2`,
        `pnlab-${name}-sw`,
      ]);
    } finally {
      await stopTestLab(name);
    }
  });

  test('a lock left by a dead process is taken over', async () => {
    const name = testLabName();
    // A PID that is certainly gone: a child that has exited and been reaped.
    const dead = spawnSync('true').pid;
    mkdirSync(LAB_ROOT_DIR, { recursive: true });
    writeFileSync(labLockFile(name), `${dead}\n`);
    try {
      const lab = await labUp({ name, nodes: 1 });
      assert.equal(lab.nodes.length, 1);
      assert.ok(!existsSync(labLockFile(name)), 'the lock is released');
    } finally {
      await stopTestLab(name);
      rmSync(labLockFile(name), { force: true });
    }
  });
});

describe('lab input and prerequisites', () => {
  test('a bad name or node count is a user error', async () => {
    await assert.rejects(labUp({ name: 'Bad-Name' }), UserError);
    await assert.rejects(labUp({ name: testLabName(), nodes: 0 }), UserError);
    await assert.rejects(labUp({ name: testLabName(), nodes: 201 }), UserError);
    await assert.rejects(labDown('../etc'), UserError);
  });

  test('a missing program is named with the exact apt-get command', { skip: needs('root') }, async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await assert.rejects(checkLabPrerequisites({ sshClient: true }), (err: unknown) => {
        assert.ok(err instanceof UserError);
        assert.match(err.message, /ssh-keygen, nc, ip, ss, unshare, nsenter, mount, ssh/);
        assert.match(err.message, /apt-get install -y --no-install-recommends openssh-client netcat-openbsd iproute2 util-linux mount$/);
        return true;
      });
    } finally {
      process.env.PATH = path;
    }
  });

  test('without root, the lab says it needs root', async () => {
    if (process.getuid?.() === 0) {
      // Drop to nobody for one CLI run.
      const r = run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, 'dist/src/cli/main.js', 'lab', 'up', '--name', testLabName()]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^podnet: podnet lab needs root/);
    } else {
      await assert.rejects(labUp({ name: testLabName() }), /needs root/);
    }
  });
});
