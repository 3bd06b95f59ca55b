// The processes the CNI plugin starts per call (issue 12: one ip -batch per namespace, one lock, no
// awk where the shell does), counted without root by a PATH of counting wrappers: each tool the
// plugin could start logs its name and arguments, then runs the real one; ip and nsenter are stubs
// (no namespace, no link is made). The plugin's own PATH line goes, so the wrappers are what it finds.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderPlugin } from '../../src/cni/render-plugin.js';

const SYSTEM_PATH_LINE = 'PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"\n';
/** Every external tool the plugin's code names (and a few it might be tempted to). */
const REAL_TOOLS = ['flock', 'awk', 'cksum', 'rm', 'mkdir', 'cat', 'tr', 'sed', 'cut', 'grep', 'xargs', 'head', 'tail', 'printf', 'date', 'mktemp'];

const STUB_IP = `#!/bin/sh
printf 'ip %s\\n' "$*" >> "$STUB_LOG"
if [ "$1" = -n ] && [ -n "$STUB_NO_NETNS_DIR" ]; then
  echo "Cannot open network namespace \\"$2\\": No such file or directory" >&2
  exit 1
fi
case "$*" in
  *-batch*) while IFS= read -r line; do
      printf 'ip-batch %s\\n' "$line" >> "$STUB_LOG"
      case $line in "link show dev "*) printf '%s@if2 UP 02:00:00:00:00:07 <BROADCAST,MULTICAST,UP,LOWER_UP>\\n' "\${line#link show dev }" ;; esac
    done ;;
  "link del dev "*) [ -z "$STUB_GONE_AFTER_DEL" ] || : > "$STUB_LOG.gone-$4"
    [ -z "$STUB_DEL_FAILS" ] || { echo 'RTNETLINK answers: Operation not permitted' >&2; exit 2; } ;;
  "link show dev "*) [ -n "$STUB_ALIAS" ] || exit 1
    [ -z "$STUB_GONE_AFTER_DEL" ] || [ ! -e "$STUB_LOG.gone-$4" ] || exit 1
    printf '7: %s@if2: <UP> mtu 1500\\n    link/ether 02:00:00:00:00:07 brd ff:ff:ff:ff:ff:ff\\n    alias %s\\n' "\${3}" "$STUB_ALIAS" ;;
esac
exit 0
`;
const STUB_NSENTER = `#!/bin/sh
printf 'nsenter %s\\n' "$*" >> "$STUB_LOG"
shift
exec "$@"
`;

describe('processes the plugin starts per call (counting wrappers on PATH, no root)', () => {
  let dir = '';
  let plugin = '';
  let store = '';
  let log = '';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pnprocs-'));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    for (const tool of REAL_TOOLS) {
      const real = ['/usr/bin', '/bin'].map((d) => join(d, tool)).find((p) => existsSync(p));
      if (real === undefined) continue;
      // One log line per call: arguments that span lines (an awk program) are not logged.
      writeFileSync(join(bin, tool), `#!/bin/sh\nargs=$*\ncase $args in *'
'*) args='…' ;; esac\nprintf '${tool} %s\\n' "$args" >> "$STUB_LOG"\nexec ${real} "$@"\n`, { mode: 0o755 });
    }
    writeFileSync(join(bin, 'ip'), STUB_IP, { mode: 0o755 });
    writeFileSync(join(bin, 'nsenter'), STUB_NSENTER, { mode: 0o755 });
    log = join(dir, 'calls.log');
    plugin = join(dir, 'podnet');
    const rendered = renderPlugin({ networkName: 'podnet', bridge: 'v-net-0', subnet: '10.244.1.0/24', gateway: '10.244.1.1', mtu: 1500, dataDir: join(dir, 'networks') });
    assert.ok(rendered.includes(SYSTEM_PATH_LINE), 'the plugin sets PATH as this test expects');
    writeFileSync(plugin, rendered.replace(SYSTEM_PATH_LINE, ''), { mode: 0o755 });
    store = join(dir, 'networks', 'podnet');
    mkdirSync(store, { recursive: true });
    writeFileSync(join(dir, 'netns'), '');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => writeFileSync(log, ''));

  function run(command: string, containerId: string, config: string, extra: Record<string, string> = {}): { status: number | null; stdout: string; json: Record<string, unknown> | undefined } {
    const r = spawnSync('sh', [plugin], {
      encoding: 'utf8',
      input: config,
      env: {
        PATH: `${join(dir, 'bin')}:/usr/local/bin:/usr/bin:/bin`,
        STUB_LOG: log,
        CNI_COMMAND: command,
        CNI_CONTAINERID: containerId,
        CNI_NETNS: join(dir, 'netns'),
        CNI_IFNAME: 'eth0',
        CNI_PATH: '/opt/cni/bin',
        ...extra,
      },
    });
    let json: Record<string, unknown> | undefined;
    try {
      json = r.stdout.trim() === '' ? undefined : (JSON.parse(r.stdout) as Record<string, unknown>);
    } catch {
      json = undefined;
    }
    return { status: r.status, stdout: r.stdout + r.stderr, json };
  }
  const config = (extra: Record<string, unknown> = {}): string => JSON.stringify({ cniVersion: '1.0.0', name: 'podnet', type: 'podnet', ...extra });
  /** The tools started, in order (batch lines left out). */
  const started = (): string[] => readFileSync(log, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('ip-batch ')).map((l) => l.split(' ')[0]!);
  const lines = (): string[] => readFileSync(log, 'utf8').split('\n').filter((l) => l !== '');

  it('ADD starts flock and one ip -batch per namespace (node, pod), nothing else', () => {
    const r = run('ADD', 'addonly', config());
    assert.equal(r.status, 0, r.stdout);
    assert.deepEqual(started(), ['flock', 'ip', 'ip']);
    const calls = lines();
    assert.equal(calls[1], 'ip -br -batch -');
    assert.match(calls[2] ?? '', /^ip-batch link add pn[0-9a-f]{8} mtu 1500 type veth peer name eth0 mtu 1500 netns \//);
    assert.match(calls.find((l) => l.startsWith('ip -n ')) ?? '', /^ip -n \.\.\/(\.\.\/)+.*\/netns -br -batch -$/);
    const reply = r.json as { interfaces: Array<{ mac: string }>; ips: Array<{ address: string }> };
    assert.deepEqual(reply.interfaces.map((i) => i.mac), ['02:00:00:00:00:07', '02:00:00:00:00:07']);
    assert.equal(reply.ips[0]!.address, '10.244.1.2/24');
  });

  it('ADD falls back to nsenter when ip -n cannot enter the pod by path (no /run/netns)', () => {
    const r = run('ADD', 'nonetnsdir', config(), { STUB_NO_NETNS_DIR: '1' });
    assert.equal(r.status, 0, r.stdout);
    assert.deepEqual(started(), ['flock', 'ip', 'ip', 'nsenter', 'ip']);
    assert.ok(lines().includes(`nsenter --net=${join(dir, 'netns')} ip -br -batch -`), lines().join('\n'));
    assert.equal((r.json?.interfaces as Array<{ mac: string }>)[1]!.mac, '02:00:00:00:00:07');
  });

  it('names the node end of the veth pn + the cksum CRC of "ID\\nIFNAME", as earlier plugins did (their pods DEL cleanly)', () => {
    for (const id of ['c1', 'a'.repeat(64), '0123456789abcdef'.repeat(4), 'Mixed_Case.id-9']) {
      const r = run('ADD', id, config());
      assert.equal(r.status, 0, r.stdout);
      const crc = spawnSync('sh', ['-c', 'printf "%s\\n%s" "$1" "$2" | cksum', 'sh', id, 'eth0'], { encoding: 'utf8' }).stdout.split(' ')[0]!;
      const name = (r.json?.interfaces as Array<{ name: string }>)[0]!.name;
      assert.equal(name, `pn${Number(crc).toString(16).padStart(8, '0')}`, id);
    }
  });

  it('a second ADD for the same attachment is refused from its podnet+ file, without reading the store', () => {
    assert.equal(run('ADD', 'twice', config()).status, 0);
    writeFileSync(log, '');
    const again = run('ADD', 'twice', config());
    assert.equal(again.json?.code, 101, again.stdout);
    assert.match(String(again.json?.msg), /already has address 10\.244\.1\.\d+/);
    assert.deepEqual(started(), ['flock']);
  });

  it('DEL starts one ip to delete the veth, flock and rm, and leaves no allocation and no podnet+ file', () => {
    const added = run('ADD', 'gone', config());
    assert.equal(added.status, 0, added.stdout);
    const address = (added.json?.ips as Array<{ address: string }>)[0]!.address.split('/')[0]!;
    assert.ok(readdirSync(store).includes('podnet+gone+eth0'));
    const hostIf = (added.json?.interfaces as Array<{ name: string }>)[0]!.name;
    assert.equal(readFileSync(join(store, 'podnet+gone+eth0'), 'utf8'), `${address}\n${hostIf}\n`);
    writeFileSync(log, '');
    // No sysfs here: the alias comes from `ip link show` (on a node sysfs gives it, without a process).
    const r = run('DEL', 'gone', config({ prevResult: added.json }), { STUB_ALIAS: 'podnet gone eth0' });
    assert.equal(r.status, 0, r.stdout);
    assert.equal(r.stdout, '');
    assert.deepEqual(started().sort(), ['flock', 'ip', 'ip', 'rm']);
    assert.ok(lines().some((l) => /^ip link del dev pn[0-9a-f]{8}$/.test(l)));
    assert.ok(!readdirSync(store).includes(address));
    assert.ok(!readdirSync(store).includes('podnet+gone+eth0'));
  });

  it("DEL takes the node end's name from the podnet+ file (no CRC to compute) and still checks its alias", () => {
    writeFileSync(join(store, '10.244.1.201'), 'named\r\neth0');
    writeFileSync(join(store, 'podnet+named+eth0'), '10.244.1.201\npn0000abcd\n');
    const r = run('DEL', 'named', config(), { STUB_ALIAS: 'podnet named eth0' });
    assert.equal(r.status, 0, r.stdout);
    assert.ok(lines().includes('ip link del dev pn0000abcd'), lines().join('\n'));
    assert.ok(!readdirSync(store).includes('10.244.1.201'));
    assert.ok(!readdirSync(store).includes('podnet+named+eth0'));
    // A link of that name whose alias names another attachment is left alone.
    writeFileSync(join(store, '10.244.1.202'), 'other\r\neth0');
    writeFileSync(join(store, 'podnet+other+eth0'), '10.244.1.202\npn0000abce\n');
    writeFileSync(log, '');
    assert.equal(run('DEL', 'other', config(), { STUB_ALIAS: 'podnet someone-else eth0' }).status, 0);
    assert.ok(!lines().some((l) => l.startsWith('ip link del')), lines().join('\n'));
  });

  it('DEL that the kernel refuses fails with code 100 and takes the address back (the pod still holds it)', () => {
    const added = run('ADD', 'stuck', config());
    assert.equal(added.status, 0, added.stdout);
    const address = (added.json?.ips as Array<{ address: string }>)[0]!.address.split('/')[0]!;
    const ref = readFileSync(join(store, 'podnet+stuck+eth0'), 'utf8');
    const r = run('DEL', 'stuck', config(), { STUB_ALIAS: 'podnet stuck eth0', STUB_DEL_FAILS: '1' });
    assert.notEqual(r.status, 0);
    assert.equal(r.json?.code, 100, r.stdout);
    assert.match(String(r.json?.details), /Operation not permitted/);
    assert.equal(readFileSync(join(store, address), 'utf8'), 'stuck\r\neth0');
    assert.equal(readFileSync(join(store, 'podnet+stuck+eth0'), 'utf8'), ref);
    // Once the kernel lets go, DEL releases it.
    assert.equal(run('DEL', 'stuck', config(), { STUB_ALIAS: 'podnet stuck eth0' }).status, 0);
    assert.ok(!readdirSync(store).includes(address));
  });

  it('DEL whose ip fails because the veth went meanwhile (the runtime deleted the netns) succeeds and releases the address', () => {
    const added = run('ADD', 'vanished', config());
    assert.equal(added.status, 0, added.stdout);
    const address = (added.json?.ips as Array<{ address: string }>)[0]!.address.split('/')[0]!;
    // The link is there with its alias when DEL looks; ip link del then fails, and the link is gone.
    const r = run('DEL', 'vanished', config(), { STUB_ALIAS: 'podnet vanished eth0', STUB_DEL_FAILS: '1', STUB_GONE_AFTER_DEL: '1' });
    assert.equal(r.status, 0, r.stdout);
    assert.equal(r.stdout, '');
    assert.ok(!readdirSync(store).includes(address));
    assert.ok(!readdirSync(store).includes('podnet+vanished+eth0'));
  });

  it('DEL of an allocation without a podnet+ file (host-local, an older podnet) finds it by reading the store', () => {
    writeFileSync(join(store, '10.244.1.200'), 'legacy\r\neth0');
    const r = run('DEL', 'legacy', config());
    assert.equal(r.status, 0, r.stdout);
    assert.ok(!readdirSync(store).includes('10.244.1.200'));
    assert.ok(started().includes('awk'), 'the store scan (awk) is the fallback');
  });

  it('checks the configuration in the shell: valid ones start no awk, invalid ones give code 6 from the awk', () => {
    const valid = [
      config(),
      ` { "cniVersion" : "1.0.0",\n  "name": "podnet", "type":"podnet" }\n`,
      config({ args: { name: 'other', cniVersion: '0.1.0' }, n: [-1.5e+3, 0, 10, true, false, null, [], {}], s: 'q"\\/\u00e9\\u0041', runtimeConfig: {} }),
      config({ prevResult: { cniVersion: '1.0.0', interfaces: [{ name: 'pn1', mac: 'aa:bb:cc:dd:ee:ff' }], ips: [{ address: '10.244.1.9/24' }], dns: {} } }),
    ];
    valid.forEach((text, k) => {
      writeFileSync(log, '');
      const r = run('ADD', `valid${k}`, text);
      assert.equal(r.status, 0, `${text}\n${r.stdout}`);
      assert.ok(!started().includes('awk'), `no awk for ${text}`);
    });
    for (const text of ['{bad', '', '{"cniVersion":"1.0.0","name":"podnet"} x', '{"a":"\\x"}', '{"a":[1,]}', '{"a":01}', '{"a":1.}', '{"a":tru}', '{,}', '{"a":1,}', '[}', '{"a" 1}', '{"a":"\\u12"}', '"unterminated']) {
      writeFileSync(log, '');
      const r = run('ADD', 'invalid', text);
      assert.equal(r.json?.code, 6, `${JSON.stringify(text)}: ${r.stdout}`);
      assert.ok(started().includes('awk'), 'the awk decides and names the fault');
    }
    // Valid but unusual (CR line ends): the awk decides, and says yes.
    const crlf = run('ADD', 'crlf', '{"cniVersion":"1.0.0",\r\n"name":"podnet"}');
    assert.equal(crlf.status, 0, crlf.stdout);
    // Top-level facts only: nested keys never shadow them, in the shell as in the awk.
    const nested = run('ADD', 'nested', '{"args":{"name":"podnet","cniVersion":"1.0.0"},"cniVersion":"1.0.0","name":"other"}');
    assert.equal(nested.json?.code, 7);
  });
});
