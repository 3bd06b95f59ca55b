// Test harness for the CNI plugin: a "node" is a network namespace holding the bridge and the
// gateway address; pods are namespaces of their own; plugins run with `ip netns exec NODE`, the
// CNI environment and the config on stdin, exactly as a container runtime would call them.
// Every namespace is named pncni-<random>-… and removed by cleanup(), also when a test fails.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderPlugin, type PluginConstants } from '../../src/cni/render-plugin.js';

export interface PluginRun {
  /** Process exit status. */
  status: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, or undefined when stdout is empty. */
  json: Record<string, unknown> | undefined;
  ms: number;
}

export interface CniCall {
  command: string;
  containerId?: string;
  /** A pod namespace name (→ /run/netns/NAME) or an absolute path. */
  netns?: string;
  ifname?: string;
  config?: string;
  /** Environment variables to drop, to test error 4. */
  omit?: string[];
}

export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** True when `ip` succeeds (used to probe for links and namespaces). */
export function ipOk(...args: string[]): boolean {
  try {
    ip(...args);
    return true;
  } catch {
    return false;
  }
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('the CNI tests need root (network namespaces)');
}

export class CniLab {
  readonly prefix = `pncni-${randomBytes(3).toString('hex')}`;
  readonly dataDir: string;
  private readonly namespaces: string[] = [];
  private readonly tmp: string;

  constructor() {
    requireRoot();
    this.tmp = mkdtempSync(join(tmpdir(), 'pncni-'));
    this.dataDir = join(this.tmp, 'networks');
  }

  /** A namespace of ours: `ip netns add`, remembered for cleanup. */
  addNamespace(suffix: string): string {
    const name = `${this.prefix}-${suffix}`;
    ip('netns', 'add', name);
    this.namespaces.push(name);
    return name;
  }

  /** A node namespace with a bridge carrying the gateway address, up. */
  addNode(suffix: string, bridge: string, gatewayCidr: string): string {
    const node = this.addNamespace(suffix);
    ip('-n', node, 'link', 'add', bridge, 'type', 'bridge');
    ip('-n', node, 'address', 'add', gatewayCidr, 'dev', bridge);
    ip('-n', node, 'link', 'set', bridge, 'up');
    return node;
  }

  /** Deletes a namespace now (e.g. to test DEL after the pod's netns is gone). */
  deleteNamespace(name: string): void {
    ip('netns', 'del', name);
    this.namespaces.splice(this.namespaces.indexOf(name), 1);
  }

  /** Writes the rendered plugin into the lab's temp dir; its store lives under dataDir. */
  writePlugin(constants: Omit<PluginConstants, 'dataDir'>, file = 'podnet'): string {
    const path = join(this.tmp, file);
    writeFileSync(path, renderPlugin({ ...constants, dataDir: this.dataDir }), { mode: 0o755 });
    return path;
  }

  storeDir(networkName: string): string {
    return join(this.dataDir, networkName);
  }

  /** The store's file names, sorted (allocations plus lock and last_reserved_ip.0). */
  storeFiles(networkName: string): string[] {
    const dir = this.storeDir(networkName);
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  }

  /** The allocation files only (names that are addresses). */
  allocations(networkName: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const name of this.storeFiles(networkName)) {
      if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) out.set(name, readFileSync(join(this.storeDir(networkName), name), 'utf8'));
    }
    return out;
  }

  /** Links of a namespace, as `ip -j -d link` objects. */
  links(ns: string): Array<Record<string, unknown>> {
    return JSON.parse(ip('-n', ns, '-j', '-d', 'link', 'show')) as Array<Record<string, unknown>>;
  }

  /** Runs a CNI plugin (argv, e.g. ['sh', path] or ['/usr/lib/cni/bridge']) in a node namespace like a runtime does. */
  run(node: string, plugin: string[], call: CniCall, extraEnv: Record<string, string> = {}): Promise<PluginRun> {
    const env: Record<string, string> = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: call.command,
      CNI_PATH: '/usr/lib/cni',
      ...extraEnv,
    };
    if (call.containerId !== undefined) env.CNI_CONTAINERID = call.containerId;
    if (call.netns !== undefined) env.CNI_NETNS = call.netns.startsWith('/') ? call.netns : `/run/netns/${call.netns}`;
    if (call.ifname !== undefined) env.CNI_IFNAME = call.ifname;
    for (const name of call.omit ?? []) delete env[name];
    const argv = ['netns', 'exec', node, ...plugin];
    const started = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      const child = spawn('ip', argv, { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (status) => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        let json: Record<string, unknown> | undefined;
        if (stdout.trim() !== '') {
          try {
            json = JSON.parse(stdout) as Record<string, unknown>;
          } catch {
            reject(new Error(`plugin printed something that is not JSON: ${stdout}\nstderr: ${stderr}`));
            return;
          }
        }
        resolve({ status: status ?? -1, stdout, stderr, json, ms });
      });
      // A plugin may exit before it reads its config (a missing variable is refused first): the
      // write then meets a closed pipe, as a runtime's would; that is not the test's failure.
      child.stdin.on('error', () => undefined);
      child.stdin.end(call.config ?? '');
    });
  }

  /** Removes every namespace and the temp dir; never throws. */
  cleanup(): void {
    for (const name of this.namespaces.splice(0)) {
      try {
        ip('netns', 'del', name);
      } catch {
        // already gone
      }
    }
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

/** The conflist-derived config a runtime passes to the plugin (name and cniVersion of the list). */
export function pluginConfig(networkName: string, cniVersion = '1.0.0', extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ cniVersion, name: networkName, type: 'podnet', ...extra });
}
