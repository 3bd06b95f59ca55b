// podnet's state file on a node (/var/lib/podnet/state.json): what the last apply that changed the
// node applied there — a digest per object (kind + key → SHA-256 of the canonical desired value),
// the cluster.yaml digest, the time, the controller, podnet's version. apply writes it atomically
// in the exec that applies (never an extra round trip), the gather reads it in its one exec, and
// the planner compares it with what it finds to tell drift (the node changed outside podnet) from
// a change (cluster.yaml asks for something new). Pure: the record as text, and its parser.
import type { StateRecord, ObservedStateFile } from '../model/types.js';

/** Where the state file lives on every node (podnet's own directory, mode 0600). */
export const STATE_FILE_PATH = '/var/lib/podnet/state.json';
export const STATE_FILE_MODE = '600';
/** Version of the state file's format. */
export const STATE_FORMAT_VERSION = 1;

/** What the gather prints first in its `state_file` section (one word), then the file's lines, each after `|`. */
export const STATE_FILE_WORDS = ['present', 'missing', 'unreadable', 'not-a-file'] as const;

const SHA256 = /^[0-9a-f]{64}$/;
/** More objects than any cluster podnet plans has: a file claiming more is damaged. */
const MAX_OBJECTS = 1_000_000;

/** The record as the file holds it: one line of JSON, keys sorted (the same record, the same bytes). */
export function renderStateRecord(record: StateRecord): string {
  const objects = Object.fromEntries(Object.keys(record.objects).sort().map((k) => [k, record.objects[k] as string]));
  const ordered = {
    formatVersion: record.formatVersion,
    podnetVersion: record.podnetVersion,
    node: record.node,
    ...(record.cluster !== undefined ? { cluster: record.cluster } : {}),
    ...(record.clusterDigest !== undefined ? { clusterDigest: record.clusterDigest } : {}),
    time: record.time,
    controller: record.controller,
    objects,
  };
  return `${JSON.stringify(ordered)}\n`;
}

/** The state file's content as a record, or why it is damaged (a sentence's tail: "… is damaged: <why>"). */
export function parseStateRecord(text: string): { ok: true; record: StateRecord } | { ok: false; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: text.trim() === '' ? 'it is empty' : 'it is not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, problem: 'it is not a JSON object' };
  const v = value as Record<string, unknown>;
  if (v.formatVersion !== STATE_FORMAT_VERSION) return { ok: false, problem: `formatVersion ${JSON.stringify(v.formatVersion) ?? 'missing'} is not ${STATE_FORMAT_VERSION}` };
  for (const field of ['podnetVersion', 'node', 'time', 'controller'] as const) {
    if (typeof v[field] !== 'string') return { ok: false, problem: `\`${field}\` is not a string` };
  }
  for (const field of ['cluster', 'clusterDigest'] as const) {
    if (v[field] !== undefined && typeof v[field] !== 'string') return { ok: false, problem: `\`${field}\` is not a string` };
  }
  if (Number.isNaN(Date.parse(v.time as string))) return { ok: false, problem: '`time` is not a time' };
  const objects = v.objects;
  if (typeof objects !== 'object' || objects === null || Array.isArray(objects)) return { ok: false, problem: '`objects` is not an object' };
  const entries = Object.entries(objects as Record<string, unknown>);
  if (entries.length > MAX_OBJECTS) return { ok: false, problem: '`objects` is too large' };
  for (const [key, digest] of entries) {
    if (typeof digest !== 'string' || !SHA256.test(digest)) return { ok: false, problem: `the digest of ${JSON.stringify(key)} is not a SHA-256` };
  }
  const record: StateRecord = {
    formatVersion: STATE_FORMAT_VERSION,
    podnetVersion: v.podnetVersion as string,
    node: v.node as string,
    time: v.time as string,
    controller: v.controller as string,
    objects: Object.fromEntries(entries) as Record<string, string>,
  };
  if (v.cluster !== undefined) record.cluster = v.cluster as string;
  if (v.clusterDigest !== undefined) record.clusterDigest = v.clusterDigest as string;
  return { ok: true, record };
}

/**
 * The gather's `state_file` section as what the node holds: its first line says whether the file is
 * there (`present`, `missing`, `unreadable`, `not-a-file`), each later line is a line of the file
 * after a `|` (so nothing in the file can pass for a section marker).
 */
export function parseStateFileSection(body: string): ObservedStateFile {
  const lines = body.split('\n');
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const word = (lines.shift() ?? '').trim();
  if (word === 'missing') return { state: 'missing' };
  if (word === 'unreadable') return { state: 'damaged', problem: 'it cannot be read' };
  if (word === 'not-a-file') return { state: 'damaged', problem: 'it is not a regular file' };
  if (word !== 'present') return { state: 'damaged', problem: 'the gather could not tell whether it exists' };
  if (lines.some((line) => !line.startsWith('|'))) return { state: 'damaged', problem: 'the gather printed it garbled' };
  const parsed = parseStateRecord(lines.map((line) => line.slice(1)).join('\n'));
  return parsed.ok ? { state: 'recorded', record: parsed.record } : { state: 'damaged', problem: parsed.problem };
}
