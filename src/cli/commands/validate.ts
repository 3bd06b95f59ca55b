// `podnet validate FILE…`: check cluster files offline; never connects anywhere.
import type { Command } from 'commander';
import { UserError } from '../../model/errors.js';
import { formatDiagnostic } from '../../config/index.js';
import { allocateSubnets } from '../../state/subnets.js';
import { loadClusterFile } from '../read-cluster.js';

/** Validate one file; returns whether it is valid. */
function validateFile(path: string): boolean {
  let result;
  try {
    result = loadClusterFile(path);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return false;
  }
  if (!result.ok) {
    for (const diagnostic of result.diagnostics) process.stderr.write(`${formatDiagnostic(diagnostic)}\n`);
    return false;
  }
  for (const warning of result.warnings) process.stderr.write(`${formatDiagnostic(warning)}\n`);
  const { cluster } = result;
  const { subnets } = allocateSubnets(cluster);
  const count = cluster.nodes.length;
  const lines = [`${path}: ok (${count} node${count === 1 ? '' : 's'}, pod CIDR ${cluster.podCidr})`];
  const nameWidth = Math.max(...cluster.nodes.map((node) => node.name.length));
  const addressWidth = Math.max(...cluster.nodes.map((node) => node.address.length));
  for (const node of cluster.nodes) {
    const how = node.subnet === undefined ? 'allocated' : 'explicit';
    lines.push(`  ${node.name.padEnd(nameWidth)}  ${node.address.padEnd(addressWidth)}  ${subnets.get(node.name) ?? '?'} (${how})`);
  }
  const router = cluster.router;
  if (router !== undefined) {
    const role = cluster.routing === 'gateway' ? 'routes every node subnet' : 'host-gw: keeps no podnet routes';
    lines.push(`  router ${router.name}  ${router.address}  (${role})`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return true;
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check cluster files offline: every problem at once as file:line:col (exit 0 valid, 1 invalid)')
    .argument('<file...>', 'cluster.yaml files')
    .action((files: string[]) => {
      let allValid = true;
      for (const file of files) if (!validateFile(file)) allValid = false;
      if (!allValid) process.exitCode = 1;
    });
}
