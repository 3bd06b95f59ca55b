// `podnet validate FILE…` (its options: ./commands/validate.ts): check cluster files offline; never
// connects anywhere. Loaded when it runs.
import { UserError } from '../model/errors.js';
import type { Cluster, Diagnostic } from '../model/types.js';
import { formatDiagnostic } from '../config/index.js';
import { allocateSubnets } from '../state/subnets.js';
import { escapeJsonControl } from '../render/terminal-safe.js';
import { loadClusterFile } from './read-cluster.js';

/** The version of `validate -o json`'s document. */
export const VALIDATE_FORMAT_VERSION = 1;

/** A problem in `validate -o json`: where (line and column only when known) and what. */
export interface ValidateProblem {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

/** One file in `validate -o json`: valid with its summary, or its errors. */
export interface ValidateFileReport {
  file: string;
  valid: boolean;
  errors: ValidateProblem[];
  warnings: ValidateProblem[];
  /** Only when valid: what the file describes. */
  summary?: {
    podCidr: string;
    routing: string;
    nodes: { name: string; address: string; subnet: string; subnetFrom: 'explicit' | 'allocated' }[];
    router?: { name: string; address: string };
  };
}

function problem(d: Diagnostic): ValidateProblem {
  return { file: d.file, line: d.line, column: d.col, message: d.message };
}

/** Loads one file: its report, and the text lines `validate` prints (stdout for a valid file, stderr for problems). */
export function validateFile(path: string, localFiles = true): { report: ValidateFileReport; stdout: string; stderr: string } {
  let result;
  try {
    result = loadClusterFile(path, { localFiles });
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return { report: { file: path, valid: false, errors: [{ file: path, message: err.message.replace(`${path}: `, '') }], warnings: [] }, stdout: '', stderr: `${err.message}\n` };
  }
  if (!result.ok) {
    return {
      report: { file: path, valid: false, errors: result.diagnostics.map(problem), warnings: [] },
      stdout: '',
      stderr: result.diagnostics.map((d) => `${formatDiagnostic(d)}\n`).join(''),
    };
  }
  const summary = summarise(result.cluster);
  return {
    report: { file: path, valid: true, errors: [], warnings: result.warnings.map(problem), summary },
    stdout: renderSummary(path, summary),
    stderr: result.warnings.map((w) => `${formatDiagnostic(w)}\n`).join(''),
  };
}

function summarise(cluster: Cluster): NonNullable<ValidateFileReport['summary']> {
  const { subnets } = allocateSubnets(cluster);
  return {
    podCidr: cluster.podCidr,
    routing: cluster.routing,
    nodes: cluster.nodes.map((node) => ({
      name: node.name,
      address: node.address,
      subnet: subnets.get(node.name) ?? '?',
      subnetFrom: node.subnet === undefined ? 'allocated' : 'explicit',
    })),
    ...(cluster.router !== undefined ? { router: { name: cluster.router.name, address: cluster.router.address } } : {}),
  };
}

function renderSummary(path: string, summary: NonNullable<ValidateFileReport['summary']>): string {
  const count = summary.nodes.length;
  const lines = [`${path}: ok (${count} node${count === 1 ? '' : 's'}, pod CIDR ${summary.podCidr})`];
  const nameWidth = Math.max(...summary.nodes.map((node) => node.name.length));
  const addressWidth = Math.max(...summary.nodes.map((node) => node.address.length));
  for (const node of summary.nodes) lines.push(`  ${node.name.padEnd(nameWidth)}  ${node.address.padEnd(addressWidth)}  ${node.subnet} (${node.subnetFrom})`);
  const router = summary.router;
  if (router !== undefined) {
    const role = summary.routing === 'gateway' ? 'routes every node subnet' : 'host-gw: keeps no podnet routes';
    lines.push(`  router ${router.name}  ${router.address}  (${role})`);
  }
  return `${lines.join('\n')}\n`;
}

/** `validate FILE…`: the reports on stdout (text or one JSON document), problems on stderr; exit 1 when a file is invalid. */
export function validateAction(files: string[], opts: { output: 'text' | 'json'; localFiles: boolean }): void {
  const results = files.map((file) => validateFile(file, opts.localFiles));
  const valid = results.every((r) => r.report.valid);
  if (opts.output === 'json') {
    const document = { formatVersion: VALIDATE_FORMAT_VERSION, valid, files: results.map((r) => r.report) };
    process.stdout.write(escapeJsonControl(JSON.stringify(document, null, 2)) + '\n');
  } else {
    for (const r of results) {
      process.stderr.write(r.stderr);
      process.stdout.write(r.stdout);
    }
  }
  if (!valid) process.exitCode = 1;
}
