// Prometheus metrics on a real 3-node lab: with metrics.textfileDir, apply and verify write their
// textfiles on every node (each node's own /run/podnet/metrics), and a real prometheus-node-exporter
// started inside node1 (its network and mount namespaces, listening on node1's lab address) serves
// podnet's series; node2 scrapes /metrics over the lab network. The exporter is ended by its PID.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { labNodeExec, type LabInfo } from '../../src/lab/lab.js';
import { LAB_METRICS_DIR, labNodePaths } from '../../src/lab/lab-layout.js';
import { runPodnet } from '../support/cli.js';
import { startTestLab, stopTestLab } from '../support/lab.js';
import { needs } from '../support/needs.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const PORT = 9100;

describe('metrics: textfiles on every node, scraped by a real node_exporter in the lab', { skip: needs('root', 'netns', 'sshd', 'node-exporter'), timeout: 180_000 }, () => {
  let lab: LabInfo | undefined;
  let file: string;
  let exporter: ChildProcess | undefined;

  before(async () => {
    lab = await startTestLab(3);
    file = `${lab.stateDir}/cluster-metrics.yaml`;
    writeFileSync(file, `${readFileSync(lab.clusterFile, 'utf8')}metrics:\n  textfileDir: ${LAB_METRICS_DIR}\n`);
  });

  after(async () => {
    if (exporter?.pid !== undefined && exporter.exitCode === null && exporter.signalCode === null) {
      const exited = new Promise((resolve) => exporter?.once('exit', resolve));
      process.kill(exporter.pid, 'SIGTERM');
      await Promise.race([exited, sleep(5000)]);
    }
    await stopTestLab(lab);
  });

  /** GET /metrics of node1's exporter, from node2 (another namespace), over the lab network. */
  async function scrape(address: string): Promise<string> {
    const r = await labNodeExec(lab!.name, 'node2', ['sh', '-c', `printf 'GET /metrics HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n' | nc -N -w 5 ${address} ${PORT}`]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  }

  test('apply and verify write the textfiles; node_exporter serves them', async () => {
    const apply = runPodnet('apply', file, '--no-confirm');
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    const verify = runPodnet('verify', file);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);

    // Every node has its own files (the lab binds a directory of its own on /run/podnet/metrics).
    for (const node of ['node1', 'node2', 'node3']) {
      const dir = labNodePaths(lab!.name, node).metricsDir;
      const applyText = readFileSync(`${dir}/podnet_apply.prom`, 'utf8');
      assert.match(applyText, /^podnet_apply_converged 1$/m, node);
      // Two peer routes, the bridge, its address, the plugin and its conflist … on every node.
      assert.match(applyText, /^podnet_apply_changes\{action="create",kind="route"\} 2$/m, node);
      assert.match(readFileSync(`${dir}/podnet_verify.prom`, 'utf8'), /^podnet_verify_success 1$/m, node);
    }

    const node1 = lab!.nodes.find((n) => n.name === 'node1')!;
    // Inside node1's network and mount namespaces (no -p: nsenter execs the exporter itself, so its PID is the child's).
    exporter = spawn(
      'nsenter',
      [
        '-t', String(node1.pid), '-n', '-m', '--',
        'prometheus-node-exporter',
        `--web.listen-address=${node1.address}:${PORT}`,
        '--collector.disable-defaults',
        '--collector.textfile',
        `--collector.textfile.directory=${LAB_METRICS_DIR}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    exporter.stderr?.on('data', (b: Buffer) => (log += b.toString()));
    let body = '';
    for (let i = 0; i < 50 && !body.includes('podnet_'); i++) {
      await sleep(200);
      assert.equal(exporter.exitCode, null, `node_exporter exited: ${log}`);
      body = await scrape(node1.address).catch(() => '');
    }
    assert.match(body, /^HTTP\/1\.[01] 200/, log);
    assert.match(body, /^node_textfile_scrape_error 0$/m, 'node_exporter read both files without error');
    assert.match(body, /^# TYPE podnet_apply_converged gauge$/m);
    assert.match(body, /^podnet_apply_converged 1$/m);
    assert.match(body, /^podnet_apply_changes\{action="create",kind="route"\} 2$/m);
    assert.match(body, /^podnet_drift_changes 0$/m);
    assert.match(body, /^podnet_apply_last_run_timestamp_seconds \d/m);
    assert.match(body, /^podnet_verify_success 1$/m);
    assert.match(body, /^podnet_verify_cells\{check="pod-to-pod-cross-node",status="pass"\} [1-9]/m);
    assert.match(body, /^podnet_verify_cells\{check="pod-to-pod-cross-node",status="fail"\} 0$/m);

    // A second apply has nothing to do: the file is replaced, its changes back to 0.
    const again = runPodnet('apply', file, '--no-confirm');
    assert.equal(again.code, 0, again.stdout + again.stderr);
    const rescraped = await scrape(node1.address);
    assert.match(rescraped, /^podnet_apply_changes\{action="create",kind="route"\} 0$/m);
    assert.match(rescraped, /^podnet_apply_converged 1$/m);
  });
});
