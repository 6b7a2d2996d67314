import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  hkdfSync,
  randomBytes,
  randomFillSync,
  scrypt,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { constantEquals } from './constant-equals.js';

/**
 * Random bytes are drawn from node:crypto 4 KB at a time: a call costs ~5.5 µs whatever its size, and a code is
 * issued on every handover. Each byte is handed out once and wiped from the pool as it leaves.
 */
const randomPool = Buffer.allocUnsafeSlow(4096);
let randomPoolOffset = randomPool.length;

/** `n` random bytes as base64url: codes, ids, secrets (32 bytes = 256 bits of entropy). */
export function randomToken(bytes = 32): string {
  if (bytes > randomPool.length) return randomBytes(bytes).toString('base64url');
  if (randomPoolOffset + bytes > randomPool.length) {
    randomFillSync(randomPool);
    randomPoolOffset = 0;
  }
  const end = randomPoolOffset + bytes;
  const token = randomPool.toString('base64url', randomPoolOffset, end);
  randomPool.fill(0, randomPoolOffset, end);
  randomPoolOffset = end;
  return token;
}

/** Decodes HANDOVER_SECRET_KEY (base64url, ≥ 32 bytes). */
export function decodeSecretKey(encoded: string): Buffer {
  const key = Buffer.from(encoded, 'base64url');
  if (key.length < 32) throw new Error('the secret key must hold at least 32 bytes');
  return key;
}

/** Derives an independent sub-key per purpose, so one master secret never serves two uses. */
export function deriveKey(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `handover:${purpose}`, 32));
}

/**
 * Keyed hash for high-entropy secrets (client secrets, API keys). A slow password hash would cap the token
 * endpoint and adds nothing when the secret is random; the key (a pepper) makes a stolen table useless alone.
 */
export class SecretHasher {
  /** A KeyObject made once, not a Buffer imported on every HMAC. */
  private readonly key: KeyObject;

  constructor(master: Buffer) {
    this.key = createSecretKey(deriveKey(master, 'secret-hash'));
  }

  hash(secret: string): string {
    return this.mac(secret).toString('base64url');
  }

  /**
   * Constant time: the two 32-byte MACs are compared directly (a length differs only for a malformed stored
   * hash, which says nothing about the secret), with no second hashing of both sides as `constantEquals` does.
   */
  verify(secret: string, storedHash: string): boolean {
    const expected = Buffer.from(storedHash, 'base64url');
    const actual = this.mac(secret);
    return expected.length === actual.length && timingSafeEqual(actual, expected);
  }

  private mac(secret: string): Buffer {
    return createHmac('sha256', this.key).update(secret).digest();
  }
}

/** AES-256-GCM for secrets that must be read back (signing keys, partner credentials): `v1.<iv>.<tag>.<data>`. */
export class SecretBox {
  private readonly key: Buffer;

  constructor(master: Buffer, purpose: string) {
    this.key = deriveKey(master, `secret-box:${purpose}`);
  }

  seal(plaintext: string, associatedData = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(associatedData));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join(
      '.',
    );
  }

  open(sealed: string, associatedData = ''): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(associatedData));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }
}

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;

/** Password hashing for people's passwords (low entropy): scrypt, `scrypt$N$r$p$salt$hash`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    keylen: expected.length,
  });
  return constantEquals(actual, expected);
}

function scryptAsync(
  password: string,
  salt: Buffer,
  options: { N: number; r: number; p: number; keylen: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, options.keylen, { N: options.N, r: options.r, p: options.p }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}
