// Routing mode gateway end to end on a real lab with a router (`podnet lab up --router`): host-gw →
// gateway → host-gw with diff/apply, pods on node1 and node3 reaching each other all along, the
// traffic going through the router only in gateway mode. Needs root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labNodeExec, startTestLab, stopTestLab, type LabInfo } from '../support/lab.js';
import { runPodnet, runPodnetJson } from '../support/cli.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns', 'sshd');

interface JsonChange {
  action: string;
  kind: string;
  key: string;
  steps: { run: string; args?: string[] }[];
}

interface JsonReport {
  plan: { nodes: { node: string; role?: string; changes: JsonChange[] }[] };
  results?: { node: string; status: string; error?: string }[];
}

const podnet = runPodnet;

const podnetJson = (...args: string[]) => runPodnetJson<JsonReport>(...args);

/** The route changes of one host as `+ ip route replace …` / `- ip route del …` lines. */
function routeChanges(report: JsonReport, host: string): string[] {
  const changes = report.plan.nodes.find((n) => n.node === host)?.changes ?? [];
  return changes
    .filter((c) => c.kind === 'route')
    .flatMap((c) => c.steps.map((step) => `${c.action === 'delete' ? '-' : '+'} ip ${(step.args ?? []).join(' ')}`));
}

const POD_A = { node: 'node1', name: 'gw-a' };
const POD_C = { node: 'node3', name: 'gw-c' };

describe('routing mode gateway on a lab with a router', { skip: requirement, timeout: 300_000 }, () => {
  let lab: LabInfo | undefined;
  let hostGwFile: string;
  let gatewayFile: string;
  const addressOf = new Map<string, string>();

  async function onHost(host: string, argv: string[]): Promise<string> {
    const r = await labNodeExec(lab!.name, host, argv);
    assert.equal(r.code, 0, `${host}: ${argv.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  /** Pings pod → pod both ways (three tries each: the first packet may wait for ARP). */
  async function assertPodsReachEachOther(): Promise<void> {
    for (const [from, to] of [
      [POD_A, POD_C],
      [POD_C, POD_A],
    ] as const) {
      const target = addressOf.get(to.name)!;
      const r = await labNodeExec(lab!.name, from.node, ['ip', 'netns', 'exec', from.name, 'ping', '-c', '3', '-W', '2', '-q', target]);
      assert.match(r.stdout, /[1-3] received/, `${from.name} → ${to.name} (${target}): ${r.stdout}${r.stderr}`);
    }
  }

  /** How node1 routes to the pod on node3: `via <next hop>`. */
  async function nextHopFromNode1ToPodC(): Promise<string> {
    const out = await onHost('node1', ['ip', 'route', 'get', addressOf.get(POD_C.name)!]);
    return /via (\S+)/.exec(out)?.[1] ?? `no gateway in: ${out}`;
  }

  /** The router's podnet routes, one line each (iproute2 ends lines with a space). */
  const routerPodnetRoutes = async (): Promise<string> =>
    (await onHost('router', ['ip', 'route', 'show', 'proto', '201']))
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .join('\n');

  function assertApplyConverges(file: string): void {
    const apply = podnetJson('apply', file);
    assert.equal(apply.code, 0, JSON.stringify(apply.report.results) + apply.stderr);
    assert.deepEqual(
      apply.report.results?.map((r) => [r.node, r.status]),
      [
        ['node1', 'converged'],
        ['node2', 'converged'],
        ['node3', 'converged'],
        ['router', 'converged'],
      ],
    );
    const again = podnet('diff', file);
    assert.equal(again.code, 0, `a second diff finds nothing to do:\n${again.stdout}${again.stderr}`);
  }

  before(async () => {
    lab = await startTestLab(3, { router: true });
    hostGwFile = lab.clusterFile;
    assert.ok(lab.gatewayClusterFile, 'the lab writes cluster-gateway.yaml');
    gatewayFile = lab.gatewayClusterFile;
  });

  after(() => stopTestLab(lab));

  test('the router is a lab member: its own namespace and sshd at 192.168.1.254', async () => {
    assert.deepEqual(lab!.router && [lab!.router.name, lab!.router.address, lab!.router.netns], ['router', '192.168.1.254', `pnlab-${lab!.name}-router`]);
    assert.match(await onHost('router', ['hostname']), /^router\n$/);
    assert.match(await onHost('router', ['ip', '-br', 'addr', 'show', 'dev', 'eth0']), /192\.168\.1\.254\/24/);
  });

  test('host-gw: apply converges every node and the router; pods on node1 and node3 reach each other directly', async () => {
    assertApplyConverges(hostGwFile);
    assert.equal(await routerPodnetRoutes(), '', 'in host-gw mode the router holds no podnet routes');
    for (const pod of [POD_A, POD_C]) {
      const r = podnet('pod', 'add', hostGwFile, pod.node, pod.name, '--output', 'json');
      assert.equal(r.code, 0, r.stderr);
      const result = JSON.parse(r.stdout) as { ips: { address: string }[] };
      addressOf.set(pod.name, result.ips[0]!.address.split('/')[0]!);
    }
    await assertPodsReachEachOther();
    assert.equal(await nextHopFromNode1ToPodC(), '192.168.1.13');
  });

  test('host-gw → gateway: per-peer routes deleted, the pod-CIDR route created, router routes created; pods still connected via the router', async () => {
    const diff = podnetJson('diff', gatewayFile);
    assert.equal(diff.code, 2, diff.stderr);
    assert.deepEqual(routeChanges(diff.report, 'node1'), [
      '- ip route del 10.244.2.0/24 via 192.168.1.12 proto 201',
      '- ip route del 10.244.3.0/24 via 192.168.1.13 proto 201',
      '+ ip route replace 10.244.0.0/16 via 192.168.1.254 proto 201',
    ]);
    assert.deepEqual(routeChanges(diff.report, 'node3'), [
      '- ip route del 10.244.1.0/24 via 192.168.1.11 proto 201',
      '- ip route del 10.244.2.0/24 via 192.168.1.12 proto 201',
      '+ ip route replace 10.244.0.0/16 via 192.168.1.254 proto 201',
    ]);
    assert.equal(diff.report.plan.nodes.find((n) => n.node === 'router')?.role, 'router');
    assert.deepEqual(routeChanges(diff.report, 'router'), [
      '+ ip route replace 10.244.1.0/24 via 192.168.1.11 proto 201',
      '+ ip route replace 10.244.2.0/24 via 192.168.1.12 proto 201',
      '+ ip route replace 10.244.3.0/24 via 192.168.1.13 proto 201',
    ]);
    assertApplyConverges(gatewayFile);
    assert.deepEqual((await routerPodnetRoutes()).split('\n'), [
      '10.244.1.0/24 via 192.168.1.11 dev eth0',
      '10.244.2.0/24 via 192.168.1.12 dev eth0',
      '10.244.3.0/24 via 192.168.1.13 dev eth0',
    ]);
    assert.equal(await nextHopFromNode1ToPodC(), '192.168.1.254');
    await assertPodsReachEachOther();
  });

  test('gateway → host-gw: per-peer routes back, the router’s podnet routes pruned; pods still connected directly', async () => {
    const diff = podnetJson('diff', hostGwFile);
    assert.equal(diff.code, 2, diff.stderr);
    assert.deepEqual(routeChanges(diff.report, 'node1'), [
      '- ip route del 10.244.0.0/16 via 192.168.1.254 proto 201',
      '+ ip route replace 10.244.2.0/24 via 192.168.1.12 proto 201',
      '+ ip route replace 10.244.3.0/24 via 192.168.1.13 proto 201',
    ]);
    assert.deepEqual(routeChanges(diff.report, 'router'), [
      '- ip route del 10.244.1.0/24 via 192.168.1.11 proto 201',
      '- ip route del 10.244.2.0/24 via 192.168.1.12 proto 201',
      '- ip route del 10.244.3.0/24 via 192.168.1.13 proto 201',
    ]);
    assertApplyConverges(hostGwFile);
    assert.equal(await routerPodnetRoutes(), '');
    assert.equal(await nextHopFromNode1ToPodC(), '192.168.1.13');
    await assertPodsReachEachOther();
  });
});
