// Failures whose raw message does not say what to do: each is mapped here, in one place, to the
// likely cause and the fix. Pure: the facts (errno, file owner, the proxy command's exit and stderr)
// are gathered by the caller (src/run/ssh/connect.ts, src/cli/read-cluster.ts).

/** Why a local file (an identity key) could not be used, as the caller found it. */
export interface FileFacts {
  path: string;
  /** errno code of the failed read/stat: EACCES, ENOENT, EISDIR … */
  code?: string;
  /** Who podnet runs as. */
  uid?: number;
  /** The file's owner and mode, when stat could tell (it can even when the read is denied). */
  ownerUid?: number;
  mode?: number;
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

/**
 * What is wrong with an identity file, with the fix: a sentence that starts with the file.
 * `what` names the setting for the config error ("identityFile"), or is left out at connect time.
 */
export function identityFileProblem(f: FileFacts): string {
  const mode = f.mode !== undefined ? `, mode ${octal(f.mode)}` : '';
  switch (f.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return `identity file ${f.path} does not exist: check identityFile (or the inventory's ansible_ssh_private_key_file), or leave it unset to use the SSH agent and ~/.ssh/id_*`;
    case 'EISDIR':
      return `identity file ${f.path} is a directory: identityFile must name the private key file`;
    case 'EACCES':
    case 'EPERM':
      if (f.ownerUid === 0 && f.uid !== undefined && f.uid !== 0) {
        return `cannot read identity file ${f.path} (permission denied): the key file is readable only by root (owner root${mode}): run podnet as root (e.g. with sudo) or give it a key you can read`;
      }
      return (
        `cannot read identity file ${f.path} (permission denied${f.uid !== undefined ? ` to uid ${f.uid}` : ''}` +
        `${f.ownerUid !== undefined ? `; owner uid ${f.ownerUid}${mode}` : ''}): run podnet as a user who can read it, or give it a key you can read`
      );
    default:
      return `cannot read identity file ${f.path}${f.code !== undefined ? ` (${f.code})` : ''}`;
  }
}

/** How a proxy command ended before the SSH handshake. */
export interface ProxyExitFacts {
  /** The expanded command line. */
  command: string;
  host: string;
  port: number;
  /** Exit code; null when killed by a signal or still running (it closed its output). */
  code: number | null;
  signal?: string | null;
  stderr: string;
  /** 'before the SSH handshake' or 'during authentication'. */
  when: string;
}

/** The proxy failure as an SshError kind and message (after `node (host:port): `): what happened, then the likely cause and fix. */
export function proxyExitProblem(f: ProxyExitFacts): { kind: 'refused' | 'proxy'; message: string } {
  const stderr = f.stderr.trim();
  const how = f.code !== null ? `exited with code ${f.code}` : f.signal ? `was killed by ${f.signal}` : 'closed the connection';
  const happened = `proxy command \`${f.command}\` ${how} ${f.when}${stderr ? `: ${stderr}` : ', no stderr output'}`;
  const checkAddress = `check the node's address or host name (${f.host}) in cluster.yaml`;
  if (/operation not permitted|permission denied/i.test(stderr)) {
    const namespace = /network namespace|netns|setns|nsenter/i.test(`${stderr} ${f.command}`);
    return {
      kind: 'proxy',
      message: namespace
        ? `${happened} — entering a network namespace needs root: run podnet as root (e.g. with sudo)`
        : `${happened} — the proxy command is not allowed to do this as the current user: run podnet as root (e.g. with sudo), or change proxyCommand`,
    };
  }
  if (/refused/i.test(stderr)) {
    return { kind: 'refused', message: `connection refused: ${happened} — nothing listens at ${f.host}:${f.port}: check that sshd runs there and the port (ssh.port)` };
  }
  if (/no route to host|name or service not known|could not resolve|temporary failure in name resolution|host is unreachable|network is unreachable|timed out/i.test(stderr)) {
    return { kind: 'refused', message: `${happened} — ${f.host} cannot be reached: ${checkAddress}` };
  }
  if (f.code === 127) {
    return { kind: 'proxy', message: `${happened} — a program of the proxy command is not installed (exit 127): install it or change proxyCommand` };
  }
  // A connector like `nc` exits non-zero without a word when nothing answers (no such host, no sshd).
  if (stderr === '' && f.code !== null && f.code !== 0) {
    return { kind: 'refused', message: `nothing answered at ${f.host}:${f.port}: ${happened} — ${checkAddress}, and that sshd runs there` };
  }
  return { kind: 'proxy', message: happened };
}

/** The fix for a direct TCP connect that failed with this errno, or undefined when the message says enough. */
export function connectHint(code: string | undefined, host: string, port: number): string | undefined {
  switch (code) {
    case 'ECONNREFUSED':
      return `nothing listens at ${host}:${port}: check that sshd runs there and the port (ssh.port)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `check the node's address or host name (${host}) in cluster.yaml`;
    default:
      return undefined;
  }
}
