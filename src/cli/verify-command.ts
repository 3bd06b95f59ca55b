// `podnet verify FILE` (its options: ./commands/verify.ts): a connectivity test of the live cluster
// through short-lived probe pods.
import { writeFileSync } from 'node:fs';
import pc from 'picocolors';
import { renderVerifyJunit, renderVerifyJunitError } from '../render/junit.js';
import { renderVerifyMarkdown } from '../render/markdown.js';
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

/** Where the JUnit XML goes: stdout (-o junit), a file (--junit FILE), both, or nowhere. */
function junitSinks(options: VerifyCommandOptions): ((xml: string) => void)[] {
  const sinks: ((xml: string) => void)[] = [];
  if (options.output === 'junit') sinks.push((xml) => process.stdout.write(xml));
  const path = options.junit;
  if (path !== undefined) {
    sinks.push((xml) => {
      try {
        writeFileSync(path, xml);
      } catch (err) {
        throw new UserError(`cannot write the JUnit report ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    });
  }
  return sinks;
}

/**
 * `podnet verify`: the report as text, JSON, Markdown or JUnit XML (and with --junit also to a
 * file). The JUnit XML is written also when verify stops early (bad cluster.yaml, an internal
 * error, Ctrl-C): then one failing test case says why, and the error is reported as ever.
 */
export async function verifyCommand(file: string, options: VerifyCommandOptions): Promise<number> {
  const sinks = junitSinks(options);
  try {
    const code = await verifyRun(file, options, sinks);
    if (code === 130) for (const sink of sinks) sink(renderVerifyJunitError(file, 'interrupted (Ctrl-C) before the report was complete', 'interrupted'));
    return code;
  } catch (err) {
    const why = err instanceof UserError ? err.message : `internal error: ${err instanceof Error ? err.message : String(err)}`;
    for (const sink of sinks) sink(renderVerifyJunitError(file, why));
    throw err;
  }
}

async function verifyRun(file: string, options: VerifyCommandOptions, sinks: readonly ((xml: string) => void)[]): Promise<number> {
  if (options.egressTarget !== undefined && !isIpv4(options.egressTarget)) {
    throw new UserError(`--egress-target ${JSON.stringify(options.egressTarget)} must be an IPv4 address`);
  }
  const cluster = readCluster(file);
  const nodes = targetNodes(cluster, options.limit);
  const json = options.output === 'json';
  const quiet = options.output !== 'text';
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
        ...(quiet ? {} : { onPhase: (phase: VerifyPhase, count: number) => process.stderr.write(`${PHASE_TEXT[phase]} on ${String(count)} node(s)…\n`) }),
        ...(options.verbose ? { onCommand: (node: string, command: string) => process.stderr.write(`[${node}] $ ${command.trimEnd()}\n`) } : {}),
      },
    });
    if (controller.signal.aborted) return 130;
    // metrics.textfileDir: each reached node's textfile of this verify.
    for (const problem of await writeVerifyMetrics(cluster, nodes, report, verifyExitCode(report) === 0, transport, options.forks)) {
      process.stderr.write(`podnet: ${escapeControl(describeMetricsProblem(problem))}\n`);
    }
    for (const sink of sinks) sink(renderVerifyJunit(report));
    // -o junit: written by its sink above.
    if (options.output === 'markdown') {
      process.stdout.write(renderVerifyMarkdown(report));
    } else if (json) {
      const execs = Object.fromEntries(await transport.execCounts());
      process.stdout.write(renderVerifyJson({ ...report, ...{ execs } }));
    } else if (options.output === 'text') {
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
