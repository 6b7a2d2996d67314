import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { constantEquals } from './constant-equals.js';
import {
  decodeSecretKey,
  deriveKey,
  hashPassword,
  randomToken,
  SecretBox,
  SecretHasher,
  verifyPassword,
} from './keys.js';

const master = Buffer.alloc(32, 7);
const otherMaster = Buffer.alloc(32, 8);

/** Flips one bit of the base64url part `index` of a `v1.<iv>.<tag>.<data>` string. */
function tamper(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0]! ^= 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe(SecretBox.name, () => {
  describe('seal and open', () => {
    it('should give back the plaintext it sealed', () => {
      const sut = new SecretBox(master, 'signing-keys');

      const sealed = sut.seal('{"d":"private key material"}', 'tenant-1');

      expect(sut.open(sealed, 'tenant-1')).toBe('{"d":"private key material"}');
    });

    it('should never store the plaintext readably', () => {
      const sut = new SecretBox(master, 'signing-keys');

      const sealed = sut.seal('private key material');

      expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(sealed).not.toContain('private');
    });

    it('should seal the same plaintext differently each time (fresh IV)', () => {
      const sut = new SecretBox(master, 'signing-keys');

      expect(sut.seal('same')).not.toBe(sut.seal('same'));
    });

    it('should round trip an empty and a non-ASCII plaintext', () => {
      const sut = new SecretBox(master, 'signing-keys');

      expect(sut.open(sut.seal(''))).toBe('');
      expect(sut.open(sut.seal('Grüße 🔑'))).toBe('Grüße 🔑');
    });
  });

  describe('open', () => {
    it.each([
      ['the IV', 1],
      ['the tag', 2],
      ['the ciphertext', 3],
    ])('should refuse a sealed secret whose %s was altered', (_part, index) => {
      const sut = new SecretBox(master, 'signing-keys');
      const sealed = sut.seal('private key material', 'tenant-1');

      expect(() => sut.open(tamper(sealed, index), 'tenant-1')).toThrow();
    });

    it('should refuse a sealed secret opened with other associated data (moved to another row)', () => {
      const sut = new SecretBox(master, 'signing-keys');
      const sealed = sut.seal('private key material', 'tenant-1');

      expect(() => sut.open(sealed, 'tenant-2')).toThrow();
    });

    it('should refuse a secret sealed for another purpose', () => {
      const sut = new SecretBox(master, 'signing-keys');
      const sealed = new SecretBox(master, 'partner-credentials').seal('secret');

      expect(() => sut.open(sealed)).toThrow();
    });

    it('should refuse a secret sealed under another master key', () => {
      const sut = new SecretBox(master, 'signing-keys');
      const sealed = new SecretBox(otherMaster, 'signing-keys').seal('secret');

      expect(() => sut.open(sealed)).toThrow();
    });

    it.each(['', 'plain text', 'v2.a.b.c', 'v1.a.b'])('should refuse %p as not a sealed secret', (value) => {
      const sut = new SecretBox(master, 'signing-keys');

      expect(() => sut.open(value)).toThrow('not a sealed secret');
    });
  });
});

describe(SecretHasher.name, () => {
  describe('verify', () => {
    it('should accept the secret that was hashed', () => {
      const sut = new SecretHasher(master);

      expect(sut.verify('demo-vendor-secret', sut.hash('demo-vendor-secret'))).toBe(true);
    });

    it('should refuse another secret', () => {
      const sut = new SecretHasher(master);

      expect(sut.verify('demo-vendor-secreT', sut.hash('demo-vendor-secret'))).toBe(false);
    });

    it('should refuse a stored hash of another length without throwing', () => {
      const sut = new SecretHasher(master);

      expect(sut.verify('demo-vendor-secret', 'short')).toBe(false);
      expect(sut.verify('demo-vendor-secret', '')).toBe(false);
    });

    it('should refuse a hash made under another master key (the pepper matters)', () => {
      const sut = new SecretHasher(master);

      expect(sut.verify('demo-vendor-secret', new SecretHasher(otherMaster).hash('demo-vendor-secret'))).toBe(false);
    });
  });

  describe('hash', () => {
    it('should stay HMAC-SHA256 under the derived sub-key, base64url, so hashes stored earlier still verify', () => {
      const sut = new SecretHasher(master);
      const stored = createHmac('sha256', deriveKey(master, 'secret-hash')).update('secret').digest('base64url');

      expect(sut.hash('secret')).toBe(stored);
      expect(sut.verify('secret', stored)).toBe(true);
    });

    it('should be deterministic, so a stored hash can be looked up', () => {
      const sut = new SecretHasher(master);

      expect(sut.hash('secret')).toBe(sut.hash('secret'));
      expect(sut.hash('secret')).not.toContain('secret');
    });
  });
});

describe(hashPassword.name, () => {
  it('should produce a salted scrypt hash that verifyPassword accepts', async () => {
    const stored = await hashPassword('correct horse');

    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    await expect(verifyPassword('correct horse', stored)).resolves.toBe(true);
  });

  it('should salt each hash, so equal passwords hash differently', async () => {
    const [a, b] = await Promise.all([hashPassword('demo'), hashPassword('demo')]);

    expect(a).not.toBe(b);
  });
});

describe(verifyPassword.name, () => {
  it('should refuse a wrong password', async () => {
    const stored = await hashPassword('correct horse');

    await expect(verifyPassword('correct horsE', stored)).resolves.toBe(false);
  });

  it.each(['', 'plain', 'bcrypt$10$x$y', 'scrypt$16384$8$1$$'])(
    'should refuse a stored value that is not a scrypt hash (%p)',
    async (stored) => {
      await expect(verifyPassword('demo', stored)).resolves.toBe(false);
    },
  );
});

describe(constantEquals.name, () => {
  it('should tell equal strings and buffers apart from different ones', () => {
    expect(constantEquals('abc', 'abc')).toBe(true);
    expect(constantEquals(Buffer.from('abc'), Buffer.from('abc'))).toBe(true);
    expect(constantEquals('abc', 'abd')).toBe(false);
  });

  it('should return false for different lengths without throwing', () => {
    expect(() => constantEquals('abc', 'abcd')).not.toThrow();
    expect(constantEquals('abc', 'abcd')).toBe(false);
    expect(constantEquals('', 'a')).toBe(false);
    expect(constantEquals(Buffer.alloc(0), Buffer.alloc(64))).toBe(false);
  });

  it('should treat two empty values as equal', () => {
    expect(constantEquals('', '')).toBe(true);
  });
});

describe(deriveKey.name, () => {
  it('should derive independent 32-byte keys per purpose', () => {
    const a = deriveKey(master, 'a');
    const b = deriveKey(master, 'b');

    expect(a).toHaveLength(32);
    expect(a.equals(b)).toBe(false);
    expect(a.equals(deriveKey(master, 'a'))).toBe(true);
  });
});

describe(decodeSecretKey.name, () => {
  it('should accept 32 random bytes in base64url', () => {
    const key = randomBytes(32);

    expect(decodeSecretKey(key.toString('base64url')).equals(key)).toBe(true);
  });

  it('should refuse a key shorter than 32 bytes', () => {
    expect(() => decodeSecretKey(randomBytes(31).toString('base64url'))).toThrow('at least 32 bytes');
  });
});

describe(randomToken.name, () => {
  it('should give 32 bytes of base64url by default, different every time', () => {
    const a = randomToken();

    expect(a).toMatch(/^[\w-]{43}$/);
    expect(randomToken()).not.toBe(a);
  });

  it('should never repeat across many refills of its pool, and give the length asked for', () => {
    const seen = new Set(Array.from({ length: 2000 }, () => randomToken(32)));

    expect(seen.size).toBe(2000);
    expect(randomToken(7)).toMatch(/^[\w-]{10}$/);
    expect(Buffer.from(randomToken(5000), 'base64url')).toHaveLength(5000);
  });
});
