// The schema is the one editors see: its defaults must be the loader's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEFAULT_BRIDGE_NAME, DEFAULT_SUBNET_PREFIX, SMALLEST_SUBNET_PREFIX } from '../../src/config/load-cluster.js';
import { DEFAULT_CONNECT_TIMEOUT_SECONDS, DEFAULT_KNOWN_HOSTS_FILE, DEFAULT_SSH_PORT, DEFAULT_SSH_USER } from '../../src/config/ssh-target.js';

interface Schema {
  $schema: string;
  properties: Record<string, { default?: unknown; maximum?: number; properties?: Record<string, { default?: unknown }> }>;
  $defs: Record<string, { properties?: Record<string, { default?: unknown }> }>;
}

const schema = JSON.parse(readFileSync('schemas/cluster.schema.json', 'utf8')) as Schema;

test('the schema is draft 2020-12', () => {
  assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
});

test('schema defaults are the loader defaults', () => {
  assert.equal(schema.properties.subnetPrefix?.default, DEFAULT_SUBNET_PREFIX);
  assert.equal(schema.properties.subnetPrefix?.maximum, SMALLEST_SUBNET_PREFIX);
  assert.equal(schema.properties.routing?.default, 'host-gw');
  assert.equal(schema.properties.bridge?.properties?.name?.default, DEFAULT_BRIDGE_NAME);
  const ssh = schema.$defs.sshSettings?.properties ?? {};
  assert.equal(ssh.user?.default, DEFAULT_SSH_USER);
  assert.equal(ssh.port?.default, DEFAULT_SSH_PORT);
  assert.equal(ssh.knownHostsFile?.default, DEFAULT_KNOWN_HOSTS_FILE);
  assert.equal(ssh.connectTimeout?.default, DEFAULT_CONNECT_TIMEOUT_SECONDS);
  assert.equal(ssh.become?.default, false);
});
