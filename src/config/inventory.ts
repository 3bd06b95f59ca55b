// Ansible inventories (INI or YAML), parsed in pure code, and the variables one host ends up with.
// Only what podnet needs: hosts, groups, children and their variables, each with its position.
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode, type Pair } from 'yaml';
import type { Diagnostic } from '../model/types.js';

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
    if (first.text.includes('=')) return fail(lineNo, first.col, `a host line starts with the host name, got \`${first.text}\``);
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
/** How many mappings `<<` may merge into one host's or group's vars, merges of merges included. */
export const MAX_MERGED_MAPPINGS = 1000;

export function parseYamlInventory(text: string, file: string): InventoryResult {
  const lineCounter = new LineCounter();
  // Ansible reads YAML inventories with anchors and `<<` merge keys.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true });
  const top: SourcePos = { file, line: 1, col: 1 };
  const posOf = (node: unknown, fallback: SourcePos): SourcePos => {
    const offset = (node as YamlNode | null | undefined)?.range?.[0];
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
  const fail = (pos: SourcePos, message: string): void => {
    diagnostics.push({ ...pos, message });
  };
  /** The node an alias stands for; undefined (reported) when its anchor is missing. */
  const deref = (node: unknown): unknown => {
    if (!isAlias(node)) return node;
    const target = node.resolve(doc);
    if (target === undefined) fail(posOf(node, top), `unresolved alias *${node.source} (the anchor must be set before the alias)`);
    return target;
  };
  const isEmpty = (node: unknown): boolean => node === null || node === undefined || (isScalar(node) && node.value === null);
  const keyOf = (pair: Pair): string => {
    const key = deref(pair.key);
    return isScalar(key) ? String(key.value) : '';
  };
  // With `merge: true` the parser gives a merge key the value Symbol('<<').
  const isMergeKey = (pair: Pair): boolean => {
    const key: unknown = isScalar(pair.key) ? pair.key.value : undefined;
    return key === '<<' || (typeof key === 'symbol' && key.description === '<<');
  };
  /**
   * The `<<` merges of one host's or group's vars, walked here (the yaml library's alias limit
   * does not cover this walk): a budget of mappings merged in, and the mappings being merged now
   * (a mapping merged into itself).
   */
  interface MergeWalk {
    budget: number;
    open: Set<unknown>;
    /** The outermost `<<` of the walk, where a walk over budget is reported. */
    origin?: SourcePos;
  }
  // After one walk over budget the others are skipped: one error, and no more time spent.
  let mergeBombed = false;
  const readVars = (raw: unknown, into: Map<string, InventoryVar>, where: string, walk: MergeWalk = { budget: MAX_MERGED_MAPPINGS, open: new Set() }): void => {
    const node = deref(raw);
    if (isEmpty(node)) return;
    if (!isMap(node)) return fail(posOf(raw, top), `${where} must be a mapping of variables`);
    walk.open.add(node);
    // Merged-in mappings first, so that the mapping's own keys win wherever they stand.
    for (const pair of node.items.filter(isMergeKey)) {
      const sources = deref(pair.value);
      // In `<<: [*a, *b]` the earlier mapping wins, so it is read last.
      for (const source of isSeq(sources) ? [...sources.items].reverse() : [pair.value]) {
        if (mergeBombed) return;
        const at = posOf(source, posOf(pair.key, top));
        const name = isAlias(source) ? ` *${source.source}` : '';
        if (walk.open.has(deref(source))) {
          mergeBombed = true;
          return fail(at, `${where}: \`<<\`${name} merges a mapping into itself`);
        }
        walk.origin ??= posOf(pair.key, top);
        if (--walk.budget < 0) {
          mergeBombed = true;
          return fail(walk.origin, `${where}: this \`<<\` merges more than ${MAX_MERGED_MAPPINGS} mappings (merges of merges, such as${name}); merge fewer times`);
        }
        readVars(source, into, where, walk);
      }
    }
    walk.open.delete(node);
    for (const pair of node.items) {
      if (isMergeKey(pair)) continue;
      const valueNode = deref(pair.value);
      let value: unknown = null;
      try {
        value = isScalar(valueNode) ? valueNode.value : ((valueNode as YamlNode | null)?.toJS(doc) ?? null);
      } catch (err) {
        fail(posOf(pair.value, top), `YAML: ${err instanceof Error ? err.message : String(err)}`);
      }
      into.set(keyOf(pair), { value, pos: posOf(isEmpty(pair.value) ? pair.key : pair.value, top) });
    }
  };
  const readGroup = (name: string, raw: unknown, namePos: SourcePos, parent: InventoryGroup | undefined): void => {
    if (!GROUP_NAME.test(name)) return fail(namePos, `invalid group name \`${name}\``);
    const group = ensureGroup(inventory, name, namePos);
    if (parent && parent.name !== name && !parent.children.includes(name)) parent.children.push(name);
    const node = deref(raw);
    if (isEmpty(node)) return;
    if (!isMap(node)) return fail(posOf(raw, namePos), `group \`${name}\` must be a mapping with hosts, vars or children`);
    for (const pair of node.items) {
      const key = keyOf(pair);
      const keyPos = posOf(pair.key, namePos);
      const value = deref(pair.value);
      if (key === 'vars') readVars(pair.value, group.vars, `vars of group \`${name}\``);
      else if (key === 'hosts' || key === 'children') {
        if (isEmpty(value)) continue;
        if (!isMap(value)) {
          fail(posOf(pair.value, keyPos), `${key} of group \`${name}\` must be a mapping of ${key === 'hosts' ? 'host names' : 'groups'}`);
          continue;
        }
        for (const item of value.items) {
          const itemName = keyOf(item);
          const itemPos = posOf(item.key, keyPos);
          if (key === 'hosts') readVars(item.value, addHost(inventory, group, itemName, itemPos).vars, `vars of host \`${itemName}\``);
          else readGroup(itemName, item.value, itemPos, group);
        }
      } else {
        fail(keyPos, `unknown key \`${key}\` in group \`${name}\` (expected ${GROUP_KEYS.join(', ')})`);
      }
    }
  };
  const root = doc.contents;
  if (!isEmpty(root)) {
    if (!isMap(root)) fail(posOf(root, top), 'a YAML inventory must be a mapping of groups (e.g. `all:`)');
    else for (const pair of root.items) readGroup(keyOf(pair), pair.value, posOf(pair.key, top), undefined);
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
