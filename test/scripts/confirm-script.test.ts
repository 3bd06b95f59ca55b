// The node side of apply --confirm and of the node lock, as rendered: the lock preamble, the
// rollback script, the timer (systemd-run where systemd runs, setsid otherwise) and the confirmation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Change } from '../../src/model/plan.js';
import {
  parseConfirmOutcome,
  parseLockOutcome,
  renderArmTimer,
  renderConfirmCommand,
  renderLockPreamble,
  renderRollbackScript,
  rollbackDir,
} from '../../src/scripts/confirm-script.js';

const holder = { controller: 'ctl-a', pid: 4242, since: '2026-12-03T10:00:00.000Z', what: 'apply' };
const route: Change = {
  kind: 'route',
  key: '10.244.2.0/24',
  action: 'delete',
  before: { dst: '10.244.2.0/24', gateway: '192.168.1.2', protocol: '201' },
  reason: { code: 'rollback' },
  steps: [{ run: 'ip', args: ['route', 'del', '10.244.2.0/24', 'via', '192.168.1.2', 'proto', '201'] }],
};

describe('confirm-script', () => {
  it('the lock fails fast by default and names the holder; with a timeout it waits, then asks for a new plan', () => {
    const fast = renderLockPreamble({ holder, timeoutSeconds: 0 });
    assert.match(fast, /exec 9>>\/run\/podnet\/apply\/lock/);
    assert.match(fast, /if ! flock -n 9; then echo '@@podnet locked'; cat \/run\/podnet\/apply\/lock.info/);
    assert.doesNotMatch(fast, /flock -w/);
    assert.match(fast, /printf '%s\\n' 'apply by ctl-a pid 4242 since 2026-12-03T10:00:00.000Z' > \/run\/podnet\/apply\/lock.info/);
    assert.match(renderLockPreamble({ holder, timeoutSeconds: 30 }), /if flock -w 30 9; then echo '@@podnet lock-waited'; exit 0; fi/);
  });

  it('a controller name that is not plain text cannot reach the shell', () => {
    const preamble = renderLockPreamble({ holder: { ...holder, controller: "x'; rm -rf / #" }, timeoutSeconds: 0 });
    assert.doesNotMatch(preamble, /rm -rf/);
  });

  it('parses the lock outcome', () => {
    assert.deepEqual(parseLockOutcome('@@podnet locked\napply by ctl-a pid 1 since t\n'), { state: 'locked', holder: 'apply by ctl-a pid 1 since t' });
    assert.deepEqual(parseLockOutcome('@@podnet lock-waited\n'), { state: 'waited' });
    assert.deepEqual(parseLockOutcome('@@podnet armed abcdef\n'), { state: 'taken' });
  });

  it('the rollback script wins the atomic mkdir first, takes the lock unless it inherited it, goes on past a failing step, and cleans up', () => {
    const script = renderRollbackScript('abc123', [route]);
    const lines = script.split('\n');
    assert.equal(lines[2], 'mkdir /run/podnet/apply/rollback/abc123/running 2>/dev/null || exit 0');
    assert.match(lines[3] ?? '', /if \[ -z "\$PODNET_LOCK_HELD" \]; then exec 9>>\/run\/podnet\/apply\/lock; flock -w 120 9/);
    assert.match(script, /ip -force -batch - <<'PODNET_BATCH_END'\nroute del 10.244.2.0\/24 via 192.168.1.2 proto 201\nPODNET_BATCH_END\n\} \|\| echo/);
    assert.match(script, /rm -rf \/run\/podnet\/apply\/rollback\/abc123\n$/);
  });

  it('arms systemd-run where systemd runs, a detached setsid process that keeps the lock otherwise', () => {
    const arm = renderArmTimer({ applyId: 'abc123', seconds: 60, rollback: [route], save: [{ run: 'command', argv: ['cp', '-p', '/opt/cni/bin/podnet', '/run/podnet/apply/rollback/abc123/files/0'] }] });
    assert.match(arm, /\[ "\$\(systemctl is-system-running 2>\/dev\/null\)" != offline \]/);
    assert.match(arm, /systemd-run --quiet --unit podnet-rollback-abc123 --on-active=60 sh \/run\/podnet\/apply\/rollback\/abc123\/rollback.sh/);
    assert.match(arm, /PODNET_LOCK_HELD=1 setsid sh -c 'sleep 60; exec sh \/run\/podnet\/apply\/rollback\/abc123\/rollback.sh' <\/dev\/null >>\S+\/log 2>&1 &\n\s+echo \$! > \S+\/pid/);
    // systemd's timer does not inherit the lock: a detached sleeper holds it for the window.
    assert.match(arm, /systemd-run [^\n]+\n\s+setsid sh -c 'sleep 60' <\/dev\/null >\/dev\/null 2>&1 &\n\s+echo \$! > \S+\/holder; echo systemd > \S+\/timer/);
    // The old file is saved before the timer is armed.
    assert.ok(arm.indexOf('cp -p /opt/cni/bin/podnet') < arm.indexOf('systemd-run'));
  });

  it('confirms by disarming the timer it armed (by its PID), or reports that the rollback came first', () => {
    const confirm = renderConfirmCommand('abc123');
    assert.match(confirm, /^if mkdir \/run\/podnet\/apply\/rollback\/abc123\/running 2>\/dev\/null; then/);
    assert.match(confirm, /systemctl stop podnet-rollback-abc123.timer podnet-rollback-abc123.service 2>\/dev\/null; \[ -s \S+\/holder \] && kill -TERM "-\$\(cat \/run\/podnet\/apply\/rollback\/abc123\/holder\)"/);
    assert.match(confirm, /kill -TERM "-\$\(cat \/run\/podnet\/apply\/rollback\/abc123\/pid\)"/);
    assert.equal(parseConfirmOutcome('@@podnet confirmed\n'), 'confirmed');
    assert.equal(parseConfirmOutcome('@@podnet rolled-back before\n'), 'rolled-back');
    assert.equal(parseConfirmOutcome(''), 'unknown');
  });

  it('refuses an apply id that is not plain', () => {
    assert.throws(() => rollbackDir('../etc'), /bad apply id/);
  });
});
