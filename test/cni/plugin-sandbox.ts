// Runs the rendered CNI plugin without root: `sh` with stub `ip` and `nsenter` first on its PATH
// and a temporary address store. The stubs accept every command, report no existing link and
// print one `ip -br` line ("NAME@if2 UP MAC <…>") per "link show" of the `-batch` calls, so ADD, DEL, CHECK-less flows and GC run
// their store logic for real (flock is the real one). Nothing touches the network.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderPlugin, type PluginConstants } from '../../src/cni/render-plugin.js';

const STUB_IP = `#!/bin/sh
case "$*" in
  "link show dev "*|"-o link show dev "*) exit 1 ;;
  *"-batch -"*) while IFS= read -r line; do
      case $line in "link show dev "*) echo "\${line#link show dev }@if2 UP 02:00:00:00:00:01 <BROADCAST,UP>" ;; esac
    done ;;
esac
exit 0
`;
const STUB_NSENTER = `#!/bin/sh
shift
exec "$@"
`;

export interface SandboxRun {
  status: number | null;
  stdout: string;
  stderr: string;
  json: Record<string, unknown> | undefined;
}

export class PluginSandbox {
  /** On tmpfs when there is one: a store of thousands of files is slow to write on a busy disk. */
  readonly dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'pnsandbox-'));
  readonly dataDir = join(this.dir, 'networks');
  readonly store: string;
  readonly pluginPath = join(this.dir, 'podnet');
  readonly constants: PluginConstants;

  constructor(overrides: Partial<PluginConstants> = {}) {
    this.constants = { networkName: 'podnet', bridge: 'v-net-0', subnet: '10.244.1.0/24', gateway: '10.244.1.1', mtu: 1500, dataDir: this.dataDir, ...overrides };
    this.store = join(this.constants.dataDir ?? this.dataDir, this.constants.networkName);
    const stubs = join(this.dir, 'stubs');
    mkdirSync(stubs);
    writeFileSync(join(stubs, 'ip'), STUB_IP);
    writeFileSync(join(stubs, 'nsenter'), STUB_NSENTER);
    chmodSync(join(stubs, 'ip'), 0o755);
    chmodSync(join(stubs, 'nsenter'), 0o755);
    // The plugin puts the system directories first on its PATH: put the stubs before them.
    const script = renderPlugin(this.constants).replace('PATH="/usr/local/sbin:', `PATH="${stubs}:/usr/local/sbin:`);
    writeFileSync(this.pluginPath, script);
    chmodSync(this.pluginPath, 0o755);
  }

  /** The network configuration, compact or pretty-printed (one line per value, as some runtimes send it). */
  config(cniVersion = '1.1.0', extra: Record<string, unknown> = {}, pretty = false): string {
    return JSON.stringify({ cniVersion, name: this.constants.networkName, type: 'podnet', ...extra }, null, pretty ? 2 : undefined);
  }

  run(command: string, env: Record<string, string>, stdin: string): SandboxRun {
    const r = spawnSync('sh', [this.pluginPath], {
      input: stdin,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CNI_COMMAND: command, CNI_PATH: '/opt/cni/bin', ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    let json: Record<string, unknown> | undefined;
    try {
      json = r.stdout.trim() === '' ? undefined : (JSON.parse(r.stdout) as Record<string, unknown>);
    } catch {
      json = undefined;
    }
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, json };
  }

  add(containerId: string, netns = `/run/netns/${containerId}`, ifname = 'eth0'): SandboxRun {
    return this.run('ADD', { CNI_CONTAINERID: containerId, CNI_NETNS: netns, CNI_IFNAME: ifname }, this.config());
  }

  /** GC keeping the given attachments. */
  gc(valid: { containerID: string; ifname: string }[], pretty = false): SandboxRun {
    return this.run('GC', {}, this.config('1.1.0', { 'cni.dev/valid-attachments': valid }, pretty));
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
