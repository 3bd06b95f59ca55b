// Reading `iptables-save` output (one or more tables) into chains and rules. Pure.
// iptables-save prints `*TABLE`, then `:CHAIN POLICY [packets:bytes]` per chain (`-` for user
// chains), then `-A CHAIN words…` per rule, then `COMMIT`; `#` lines are comments. Words with
// blanks are double-quoted (`--comment "two words"`), with `\"` and `\\` escaped inside.
import type { IptablesChain, IptablesRule, ObservedFirewall } from '../model/types.js';

export class IptablesSaveError extends Error {}

export interface IptablesState {
  chains: IptablesChain[];
  rules: IptablesRule[];
}

/** Splits a rule line into words, undoing iptables-save's double quotes. */
export function splitIptablesWords(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let word = '';
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t') {
      if (line[i] === '"') {
        i++;
        while (i < line.length && line[i] !== '"') {
          if (line[i] === '\\' && i + 1 < line.length) i++;
          word += line[i];
          i++;
        }
        if (i >= line.length) throw new IptablesSaveError(`unterminated quote in ${JSON.stringify(line)}`);
        i++;
      } else {
        word += line[i];
        i++;
      }
    }
    words.push(word);
  }
  return words;
}

/** Parses iptables-save output of any number of tables. */
export function parseIptablesSave(text: string): IptablesState {
  const chains: IptablesChain[] = [];
  const rules: IptablesRule[] = [];
  let table: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      table = line.slice(1);
      continue;
    }
    if (line === 'COMMIT') {
      table = undefined;
      continue;
    }
    if (table === undefined) throw new IptablesSaveError(`a line outside any table: ${JSON.stringify(line)}`);
    if (line.startsWith(':')) {
      const [name, policy] = line.slice(1).split(/\s+/);
      if (name === undefined || name === '' || policy === undefined) throw new IptablesSaveError(`unreadable chain line: ${JSON.stringify(line)}`);
      chains.push({ table, name, policy: policy === '-' ? null : policy });
      continue;
    }
    const [flag, chain, ...args] = splitIptablesWords(line);
    if (flag !== '-A' || chain === undefined) throw new IptablesSaveError(`unreadable rule line: ${JSON.stringify(line)}`);
    rules.push({ table, chain, args });
  }
  return { chains, rules };
}

/** iptables-save output as an ObservedFirewall (unavailable, with the reason, when unreadable). */
export function parseFirewallText(text: string): ObservedFirewall {
  try {
    return { available: true, ...parseIptablesSave(text) };
  } catch (err) {
    return { available: false, reason: `unreadable iptables-save output: ${(err as Error).message}` };
  }
}

/** `-s 10.244.0.0/16 -j ACCEPT`: the words of a rule, quoted as iptables-save would. */
export function joinIptablesWords(words: readonly string[]): string {
  return words.map((w) => (/^[A-Za-z0-9_.:/=@+!,-]+$/.test(w) ? w : `"${w.replace(/[\\"]/g, (c) => `\\${c}`)}"`)).join(' ');
}
