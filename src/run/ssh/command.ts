// Pure string helpers of the transport: `become` wrapping, ProxyCommand token expansion and
// ProxyJump parsing. Kept apart from connect.ts so they are tested without sshd. Shell quoting is
// the node scripts' own (scripts/shell-quote.ts).
import { shellQuote } from '../../scripts/shell-quote.js';

/**
 * `become: true`: the command runs under passwordless sudo, through sh as the remote shell would.
 * sudo's default env_reset drops SSH_CONNECTION, which the gather reads to find the management
 * path: the login shell expands it outside sudo and `env` sets it again for the command. Plain
 * `"$SSH_CONNECTION"` (sshd always sets it) reads the same in sh, bash, csh and fish login shells.
 */
export function wrapBecome(command: string): string {
  return `sudo -n -- env "SSH_CONNECTION=$SSH_CONNECTION" sh -c ${shellQuote(command)}`;
}

/**
 * A script as one exec sends it: the command `sh -s`, the script on its stdin. The script is one
 * brace group read whole before it runs, with /dev/null as its stdin: a command in it that reads
 * stdin (as the command line's commands did, given none) cannot swallow the rest of the script.
 */
export function scriptOnStdin(script: string): { command: string; stdin: string } {
  return { command: 'sh -s', stdin: `{\n${script}\n} </dev/null\n` };
}

/** sudo -n prints one of these when it would have to ask for a password. */
export function isSudoPasswordError(stderr: string): boolean {
  return /sudo: (a password is required|a terminal is required to read the password)/.test(stderr);
}

export interface ProxyTokens {
  host: string;
  port: number;
  user: string;
  /** %n: the name the user gave the host; for podnet, the node name. */
  name: string;
}

/** Expands OpenSSH's %h %p %r %n %% in a ProxyCommand; any other %x is an error, as in ssh. */
export function expandProxyCommand(template: string, tokens: ProxyTokens): string {
  return template.replace(/%(.?)/g, (_all, key: string) => {
    switch (key) {
      case 'h':
        return tokens.host;
      case 'p':
        return String(tokens.port);
      case 'r':
        return tokens.user;
      case 'n':
        return tokens.name;
      case '%':
        return '%';
      default:
        throw new Error(`ProxyCommand ${JSON.stringify(template)}: unknown token %${key} (known: %h %p %r %n %%)`);
    }
  });
}

export interface JumpHost {
  user: string;
  host: string;
  port: number;
}

/**
 * Parses an OpenSSH ProxyJump value: comma-separated `[user@]host[:port]` (also `[v6addr]:port`
 * and `ssh://[user@]host[:port]`), first hop first. Missing user and port take the defaults.
 */
export function parseProxyJump(spec: string, defaults: { user: string; port: number }): JumpHost[] {
  return spec.split(',').map((raw) => {
    let rest = raw.trim().replace(/^ssh:\/\//, '');
    let user = defaults.user;
    let port = defaults.port;
    const at = rest.lastIndexOf('@');
    if (at >= 0) {
      user = rest.slice(0, at);
      rest = rest.slice(at + 1);
    }
    let host = rest;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
    const plain = /^([^:]+)(?::(\d+))?$/.exec(rest);
    if (bracketed?.[1]) {
      host = bracketed[1];
      if (bracketed[2]) port = Number(bracketed[2]);
    } else if (plain?.[1]) {
      host = plain[1];
      if (plain[2]) port = Number(plain[2]);
    } else if (!rest.includes(':') || rest.split(':').length < 3) {
      host = '';
    }
    if (host === '' || user === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`ProxyJump ${JSON.stringify(spec)}: cannot read hop ${JSON.stringify(raw)} (want [user@]host[:port])`);
    }
    return { user, host, port };
  });
}
