// What a test needs from the machine, declared once and checked for real: the `skip` option of
// node:test for every test (or describe, hooks included) that needs more than node and a shell.
//
//   const requirement = needs('root', 'netns', 'sshd');
//   describe('…', { skip: requirement }, () => { before(…); … });
//
// needs() returns false when the machine has what is asked, else the reason the test is skipped:
// `needs root (network namespaces, iptables, the lab's sshd): run npm test as root`. Under the unit
// run (PODNET_TEST_SCOPE=unit, set by test/run-tests.mjs --unit) every machine need is unmet,
// whoever runs it. A skipped describe runs none of its hooks, so no lab is built.
//
// It is also how test/run-tests.mjs selects files: with PODNET_TEST_NEEDS_LOG set, every call
// appends {file, needs} to that file, and the files that declared a machine need are the ones run
// again, as root, after the unit run. See the header of test/run-tests.mjs.
import { accessSync, appendFileSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Needs only the machine (root and what root gives) can meet: never met in the unit run. */
export const MACHINE_NEEDS = ['root', 'netns', 'iptables', 'sshd'] as const;
/** Needs a binary on PATH meets, root or not. */
export const TOOL_NEEDS = ['shellcheck', 'node-exporter', 'graphviz'] as const;

export type MachineNeed = (typeof MACHINE_NEEDS)[number];
export type Need = MachineNeed | (typeof TOOL_NEEDS)[number];

/** Whether the run is the unit run (no root, no namespaces, no sshd; see test/run-tests.mjs). */
export const unitScope = process.env.PODNET_TEST_SCOPE === 'unit';

export function isMachineNeed(need: string): need is MachineNeed {
  return (MACHINE_NEEDS as readonly string[]).includes(need);
}

function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    if (dir === '') return false;
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const WHAT: Record<Need, string> = {
  root: 'root',
  netns: 'network namespaces',
  iptables: 'iptables',
  sshd: "the lab's sshd",
  shellcheck: 'shellcheck',
  'node-exporter': 'prometheus-node-exporter',
  graphviz: "Graphviz's dot",
};

/** Why `need` is not met on this machine (root or not), or null when it is. */
function unmet(need: Need): string | null {
  switch (need) {
    case 'root':
      return process.geteuid?.() === 0 ? null : 'needs root: run npm test as root';
    case 'netns':
      return onPath('ip') && onPath('unshare') ? null : 'needs ip and unshare (apt-get install iproute2 util-linux)';
    case 'iptables':
      return onPath('iptables') && onPath('iptables-save') ? null : 'needs iptables (apt-get install iptables)';
    case 'sshd':
      return existsSync('/usr/sbin/sshd') && onPath('ssh') && onPath('nc')
        ? null
        : 'needs /usr/sbin/sshd, ssh and nc (apt-get install openssh-server openssh-client netcat-openbsd)';
    case 'shellcheck':
      return onPath('shellcheck') ? null : 'needs shellcheck (apt-get install shellcheck)';
    case 'node-exporter':
      return onPath('prometheus-node-exporter') ? null : 'needs prometheus-node-exporter (apt-get install prometheus-node-exporter)';
    case 'graphviz':
      return onPath('dot') ? null : "needs Graphviz's dot (apt-get install graphviz)";
  }
}

function record(what: readonly Need[]): void {
  const log = process.env.PODNET_TEST_NEEDS_LOG;
  if (log === undefined || log === '') return;
  // Each test file runs in a process of its own (node --test): argv[1] is that file.
  appendFileSync(log, `${JSON.stringify({ file: process.argv[1] ?? '', needs: what })}\n`);
}

/** The `skip` option for a test that needs `what`: false when met, else why it is skipped. */
export function needs(...what: Need[]): string | false {
  record(what);
  const machine = what.filter(isMachineNeed);
  const names = (list: readonly Need[]) => [...new Set(list.map((n) => WHAT[n]))].join(', ');
  if (unitScope && machine.length > 0) return `unit run: needs ${names(machine)} (npm test runs it, as root)`;
  if (machine.length > 0 && process.geteuid?.() !== 0) {
    const what = names(machine.filter((n) => n !== 'root'));
    return `needs root${what === '' ? '' : ` (${what})`}: run npm test as root`;
  }
  const reasons = [...new Set(what.map(unmet).filter((r): r is string => r !== null))];
  return reasons.length === 0 ? false : reasons.join('; ');
}
