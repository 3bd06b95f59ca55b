// Ansible inventories (INI or YAML), parsed in pure code, and the variables one host ends up with.
// Only what podnet needs: hosts, groups, children and their variables, each with its position.
import { isMap, isScalar, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { Diagnostic } from '../model.js';

export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export interface InventoryVar {
  /** Strings from INI; whatever YAML says from YAML inventories. */
  value: unknown;
  pos: SourcePos;
}

export interface InventoryHost {
  name: string;
  pos: SourcePos;
  vars: Map<string, InventoryVar>;
}

export interface InventoryGroup {
  name: string;
  pos: SourcePos;
  /** Hosts listed directly in this group, in file order. */
  hosts: string[];
  children: string[];
  vars: Map<string, InventoryVar>;
}

export interface Inventory {
  file: string;
  /** In order of first appearance. */
  hosts: Map<string, InventoryHost>;
  /** Always holds `all`. */
  groups: Map<string, InventoryGroup>;
}

export type InventoryResult = { ok: true; inventory: Inventory } | { ok: false; diagnostics: Diagnostic[] };

const GROUP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

function newInventory(file: string): Inventory {
  const inventory: Inventory = { file, hosts: new Map(), groups: new Map() };
  ensureGroup(inventory, 'all', { file, line: 1, col: 1 });
  return inventory;
}

function ensureGroup(inventory: Inventory, name: string, pos: SourcePos): InventoryGroup {
  let group = inventory.groups.get(name);
  if (!group) {
    group = { name, pos, hosts: [], children: [], vars: new Map() };
    inventory.groups.set(name, group);
  }
  return group;
}

function addHost(inventory: Inventory, group: InventoryGroup, name: string, pos: SourcePos): InventoryHost {
  let host = inventory.hosts.get(name);
  if (!host) {
    host = { name, pos, vars: new Map() };
    inventory.hosts.set(name, host);
  }
  if (!group.hosts.includes(name)) group.hosts.push(name);
  return host;
}

/** `.yml`/`.yaml` files are YAML inventories, anything else INI (as Ansible's ini plugin reads it). */
export function parseInventory(text: string, file: string): InventoryResult {
  return /\.ya?ml$/i.test(file) ? parseYamlInventory(text, file) : parseIniInventory(text, file);
}

// ───────────────────────────── INI ─────────────────────────────

interface Token {
  text: string;
  col: number;
}

/** Split a line shell-style (quotes group and are removed); stops at an unquoted `#` word. */
function tokenizeIniLine(line: string): Token[] | string {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i] ?? '')) i++;
    if (i >= line.length || line[i] === '#') break;
    const start = i;
    let text = '';
    while (i < line.length && !/\s/.test(line[i] ?? '')) {
      const ch = line[i] ?? '';
      if (ch === '"' || ch === "'") {
        const close = line.indexOf(ch, i + 1);
        if (close < 0) return `unterminated ${ch} quote`;
        text += line.slice(i + 1, close);
        i = close + 1;
      } else {
        text += ch;
        i++;
      }
    }
    tokens.push({ text, col: start + 1 });
  }
  return tokens;
}

function stripQuotes(value: string): string {
  const first = value[0];
  if (value.length >= 2 && (first === '"' || first === "'") && value.endsWith(first)) return value.slice(1, -1);
  return value;
}

export function parseIniInventory(text: string, file: string): InventoryResult {
  const inventory = newInventory(file);
  const diagnostics: Diagnostic[] = [];
  const fail = (line: number, col: number, message: string): void => {
    diagnostics.push({ file, line, col, message });
  };
  let section: { group: InventoryGroup; kind: 'hosts' | 'vars' | 'children' } = {
    group: ensureGroup(inventory, 'ungrouped', { file, line: 1, col: 1 }),
    kind: 'hosts',
  };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const indent = raw.length - raw.trimStart().length;
    if (trimmed.startsWith('[')) {
      const header = /^\[([^\]:]+)(?::([^\]]+))?\]\s*(?:[#;].*)?$/.exec(trimmed);
      if (!header) return fail(lineNo, indent + 1, `invalid section header ${trimmed}`);
      const [, name = '', kind] = header;
      if (!GROUP_NAME.test(name)) return fail(lineNo, indent + 2, `invalid group name \`${name}\``);
      if (kind !== undefined && kind !== 'vars' && kind !== 'children') {
        return fail(lineNo, indent + 3 + name.length, `unknown section kind \`:${kind}\` (expected :vars or :children)`);
      }
      section = { group: ensureGroup(inventory, name, { file, line: lineNo, col: indent + 2 }), kind: kind ?? 'hosts' };
      return;
    }
    if (section.kind === 'vars') {
      const eq = raw.indexOf('=');
      if (eq < 0) return fail(lineNo, indent + 1, `expected key=value in [${section.group.name}:vars]`);
      const key = raw.slice(0, eq).trim();
      const valueText = raw.slice(eq + 1);
      const valueCol = eq + 2 + (valueText.length - valueText.trimStart().length);
      // An unquoted value ends at a ` #` comment.
      const trimmedValue = valueText.trim();
      const value = /^["']/.test(trimmedValue) ? stripQuotes(trimmedValue) : trimmedValue.replace(/\s+[#;].*$/, '');
      section.group.vars.set(key, { value, pos: { file, line: lineNo, col: valueCol } });
      return;
    }
    const tokens = tokenizeIniLine(raw);
    if (typeof tokens === 'string') return fail(lineNo, indent + 1, tokens);
    const [first, ...rest] = tokens;
    if (!first) return;
    const pos = { file, line: lineNo, col: first.col };
    if (section.kind === 'children') {
      if (!GROUP_NAME.test(first.text)) return fail(lineNo, first.col, `invalid group name \`${first.text}\``);
      ensureGroup(inventory, first.text, pos);
      if (!section.group.children.includes(first.text)) section.group.children.push(first.text);
      return;
    }
    if (/\[.*:.*\]/.test(first.text)) return fail(lineNo, first.col, `host ranges like \`${first.text}\` are not supported; list the hosts one per line`);
    // `host:port` is Ansible's shorthand for ansible_port.
    const hostPort = /^([^:]+):([0-9]+)$/.exec(first.text);
    const hostName = hostPort?.[1] ?? first.text;
    const host = addHost(inventory, section.group, hostName, pos);
    if (hostPort) host.vars.set('ansible_port', { value: hostPort[2], pos: { file, line: lineNo, col: first.col + hostName.length + 1 } });
    for (const token of rest) {
      const eq = token.text.indexOf('=');
      if (eq <= 0) {
        fail(lineNo, token.col, `expected key=value after host ${hostName}, got \`${token.text}\``);
        continue;
      }
      const rawToken = raw.slice(token.col - 1);
      const rawEq = rawToken.indexOf('=');
      host.vars.set(token.text.slice(0, eq), { value: token.text.slice(eq + 1), pos: { file, line: lineNo, col: token.col + rawEq + 1 } });
    }
  });
  return diagnostics.length > 0 ? { ok: false, diagnostics } : { ok: true, inventory };
}

// ───────────────────────────── YAML ─────────────────────────────

const GROUP_KEYS = ['hosts', 'vars', 'children'];

export function parseYamlInventory(text: string, file: string): InventoryResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const posOf = (node: YamlNode | null | undefined, fallback: SourcePos): SourcePos => {
    const offset = node?.range?.[0];
    if (offset === undefined) return fallback;
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  const diagnostics: Diagnostic[] = doc.errors.map((error) => {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    return { file, line, col, message: `YAML syntax: ${error.message}` };
  });
  if (diagnostics.length > 0) return { ok: false, diagnostics };
  const inventory = newInventory(file);
  const top: SourcePos = { file, line: 1, col: 1 };
  const fail = (pos: SourcePos, message: string): void => {
    diagnostics.push({ ...pos, message });
  };
  const readVars = (node: unknown, into: Map<string, InventoryVar>, where: string): void => {
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return;
    if (!isMap(node)) return fail(posOf(node as YamlNode, top), `${where} must be a mapping of variables`);
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      const valueNode = pair.value as YamlNode | null;
      const value: unknown = isScalar(valueNode) ? valueNode.value : (valueNode?.toJSON() ?? null);
      into.set(key, { value, pos: posOf(valueNode ?? (pair.key as YamlNode), top) });
    }
  };
  const readGroup = (name: string, node: unknown, namePos: SourcePos, parent: InventoryGroup | undefined): void => {
    if (!GROUP_NAME.test(name)) return fail(namePos, `invalid group name \`${name}\``);
    const group = ensureGroup(inventory, name, namePos);
    if (parent && parent.name !== name && !parent.children.includes(name)) parent.children.push(name);
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return;
    if (!isMap(node)) return fail(posOf(node as YamlNode, namePos), `group \`${name}\` must be a mapping with hosts, vars or children`);
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      const keyPos = posOf(pair.key as YamlNode, namePos);
      const value = pair.value;
      if (key === 'vars') readVars(value, group.vars, `vars of group \`${name}\``);
      else if (key === 'hosts') {
        if (value === null || (isScalar(value) && value.value === null)) continue;
        if (!isMap(value)) {
          fail(posOf(value as YamlNode, keyPos), `hosts of group \`${name}\` must be a mapping of host names`);
          continue;
        }
        for (const hostPair of value.items) {
          const hostName = isScalar(hostPair.key) ? String(hostPair.key.value) : '';
          const host = addHost(inventory, group, hostName, posOf(hostPair.key as YamlNode, keyPos));
          readVars(hostPair.value, host.vars, `vars of host \`${hostName}\``);
        }
      } else if (key === 'children') {
        if (value === null || (isScalar(value) && value.value === null)) continue;
        if (!isMap(value)) {
          fail(posOf(value as YamlNode, keyPos), `children of group \`${name}\` must be a mapping of groups`);
          continue;
        }
        for (const childPair of value.items) {
          const childName = isScalar(childPair.key) ? String(childPair.key.value) : '';
          readGroup(childName, childPair.value, posOf(childPair.key as YamlNode, keyPos), group);
        }
      } else {
        fail(keyPos, `unknown key \`${key}\` in group \`${name}\` (expected ${GROUP_KEYS.join(', ')})`);
      }
    }
  };
  const root = doc.contents;
  if (root !== null && !(isScalar(root) && root.value === null)) {
    if (!isMap(root)) fail(posOf(root, top), 'a YAML inventory must be a mapping of groups (e.g. `all:`)');
    else {
      for (const pair of root.items) {
        const name = isScalar(pair.key) ? String(pair.key.value) : '';
        readGroup(name, pair.value, posOf(pair.key as YamlNode, top), undefined);
      }
    }
  }
  return diagnostics.length > 0 ? { ok: false, diagnostics } : { ok: true, inventory };
}

// ───────────────────────────── resolution ─────────────────────────────

function parentsOf(inventory: Inventory, name: string): string[] {
  const parents: string[] = [];
  for (const group of inventory.groups.values()) if (group.children.includes(name)) parents.push(group.name);
  return parents;
}

/** Ansible's group depth: `all` is 0; a group is one deeper than its deepest parent. */
function groupDepth(inventory: Inventory, name: string, seen: Set<string> = new Set()): number {
  if (name === 'all') return 0;
  if (seen.has(name)) return 1;
  seen.add(name);
  const parents = parentsOf(inventory, name).filter((parent) => parent !== name);
  if (parents.length === 0) return 1;
  return 1 + Math.max(...parents.map((parent) => groupDepth(inventory, parent, new Set(seen))));
}

/** Every group a host belongs to, directly or through children, `all` included. */
export function groupsOfHost(inventory: Inventory, host: string): string[] {
  const found = new Set<string>(['all']);
  const queue = [...inventory.groups.values()].filter((group) => group.hosts.includes(host)).map((group) => group.name);
  while (queue.length > 0) {
    const name = queue.shift() ?? '';
    if (found.has(name)) continue;
    found.add(name);
    queue.push(...parentsOf(inventory, name));
  }
  return [...found];
}

/**
 * The variables of one host as Ansible merges them: group vars from `all` (shallowest) to the
 * deepest group, groups of equal depth by name, then the host's own vars on top.
 */
export function resolveHostVars(inventory: Inventory, host: string): Map<string, InventoryVar> {
  const groups = groupsOfHost(inventory, host)
    .map((name) => ({ name, depth: groupDepth(inventory, name) }))
    .sort((a, b) => a.depth - b.depth || a.name.localeCompare(b.name));
  const merged = new Map<string, InventoryVar>();
  for (const { name } of groups) for (const [key, value] of inventory.groups.get(name)?.vars ?? []) merged.set(key, value);
  for (const [key, value] of inventory.hosts.get(host)?.vars ?? []) merged.set(key, value);
  return merged;
}

/** Hosts of a group and of its children (depth first), in inventory order, each once. `all` is every host. */
export function hostsOfGroup(inventory: Inventory, name: string): string[] {
  if (name === 'all') return [...inventory.hosts.keys()];
  const hosts: string[] = [];
  const visit = (groupName: string, seen: Set<string>): void => {
    const group = inventory.groups.get(groupName);
    if (!group || seen.has(groupName)) return;
    seen.add(groupName);
    for (const host of group.hosts) if (!hosts.includes(host)) hosts.push(host);
    for (const child of group.children) visit(child, seen);
  };
  visit(name, new Set());
  return hosts;
}
