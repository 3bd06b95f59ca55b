// `podnet verify FILE` (its options: ./commands/verify.ts): a connectivity test of the live cluster
// through short-lived probe pods.
import pc from 'picocolors';
import { UserError } from '../model/errors.js';
import { renderVerifyJson, renderVerifyText, verifyExitCode } from '../render/verify-render.js';
import type { StatusPaint } from '../render/paint.js';
import { readCluster } from './read-cluster.js';
import { targetNodes } from '../run/targets.js';
import { randomProbeId, runVerify, type VerifyPhase } from '../run/run-verify.js';
import { isIpv4, probePodName } from '../scripts/probe-script.js';
import { sshTransport } from './plan-command.js';
import { writeVerifyMetrics } from '../run/metrics.js';
import { describeMetricsProblem } from '../render/sentences.js';
import { escapeControl } from '../render/terminal-safe.js';

import type { VerifyCommandOptions } from './options.js';

const PHASE_TEXT: Record<VerifyPhase, string> = {
  setup: 'creating probe pods',
  gather: 'gathering state',
  probe: 'probing',
  cleanup: 'removing probe pods',
};

const COLOR: StatusPaint = { pass: pc.green, fail: pc.red, dim: pc.dim, bold: pc.bold };

export async function verifyCommand(file: string, options: VerifyCommandOptions): Promise<number> {
  if (options.egressTarget !== undefined && !isIpv4(options.egressTarget)) {
    throw new UserError(`--egress-target ${JSON.stringify(options.egressTarget)} must be an IPv4 address`);
  }
  const cluster = readCluster(file);
  const nodes = targetNodes(cluster, options.limit);
  const json = options.output === 'json';
  const probeId = randomProbeId();
  const controller = new AbortController();
  let interrupts = 0;
  // First ^C: stop probing and remove the probe pods; a second one leaves at once.
  const onSigint = (): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    const pods = `${probePodName(probeId, 'a')}, ${probePodName(probeId, 'b')}`;
    process.stderr.write(`interrupted: removing the probe pods ${pods} (^C again to leave them)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const transport = sshTransport(options);
  try {
    const report = await runVerify(cluster, nodes, transport, {
      forks: options.forks,
      probeId,
      plan: options.fullMesh ? 'full-mesh' : 'sample',
      signal: controller.signal,
      ...(options.egressTarget !== undefined ? { egressTarget: options.egressTarget } : {}),
      hooks: {
        ...(json ? {} : { onPhase: (phase: VerifyPhase, count: number) => process.stderr.write(`${PHASE_TEXT[phase]} on ${String(count)} node(s)…\n`) }),
        ...(options.verbose ? { onCommand: (node: string, command: string) => process.stderr.write(`[${node}] $ ${command.trimEnd()}\n`) } : {}),
      },
    });
    if (controller.signal.aborted) return 130;
    // metrics.textfileDir: each reached node's textfile of this verify.
    for (const problem of await writeVerifyMetrics(cluster, nodes, report, verifyExitCode(report) === 0, transport, options.forks)) {
      process.stderr.write(`podnet: ${escapeControl(describeMetricsProblem(problem))}\n`);
    }
    if (json) {
      const execs = Object.fromEntries(await transport.execCounts());
      process.stdout.write(renderVerifyJson({ ...report, ...{ execs } }));
    } else {
      const tty = Boolean(process.stdout.isTTY);
      const color = tty && !process.env.NO_COLOR;
      process.stdout.write(renderVerifyText(report, { matrix: tty, ...(color ? { paint: COLOR } : {}) }));
    }
    return verifyExitCode(report);
  } finally {
    process.off('SIGINT', onSigint);
    await transport.close();
  }
}
