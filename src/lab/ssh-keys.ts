// Ed25519 key pairs in OpenSSH's own formats, made in-process: a lab of 100 nodes needs 101 keys,
// and ssh-keygen costs a process (10–30 ms of a busy CPU) for each. Format: OpenSSH PROTOCOL.key.
import { generateKeyPairSync, randomBytes } from 'node:crypto';

const KEY_TYPE = 'ssh-ed25519';

/** SSH wire-format string: uint32 length, then the bytes. */
function sshString(data: Buffer | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function uint32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value);
  return b;
}

export interface OpenSshKeyPair {
  /** `-----BEGIN OPENSSH PRIVATE KEY-----` … (unencrypted), as ssh-keygen writes it. */
  privateKey: string;
  /** `ssh-ed25519 AAAA… comment\n`, the `.pub` file. */
  publicKey: string;
}

export function generateEd25519KeyPair(comment: string): OpenSshKeyPair {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  if (jwk.d === undefined || jwk.x === undefined) throw new Error('ed25519 key export lacks d or x');
  const seed = Buffer.from(jwk.d, 'base64url');
  const pub = Buffer.from(jwk.x, 'base64url');
  const publicBlob = Buffer.concat([sshString(KEY_TYPE), sshString(pub)]);

  const check = randomBytes(4).readUInt32BE();
  const unpadded = Buffer.concat([
    uint32(check),
    uint32(check),
    sshString(KEY_TYPE),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  // Cipher "none" has a block size of 8; padding bytes count 1, 2, 3 …
  const padLength = (8 - (unpadded.length % 8)) % 8;
  const padding = Buffer.from(Array.from({ length: padLength }, (_, i) => i + 1));
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(Buffer.concat([unpadded, padding])),
  ]);
  const base64 = body.toString('base64').replace(/.{70}/g, '$&\n').replace(/\n$/, '');
  return {
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${base64}\n-----END OPENSSH PRIVATE KEY-----\n`,
    publicKey: `${KEY_TYPE} ${publicBlob.toString('base64')} ${comment}\n`,
  };
}
