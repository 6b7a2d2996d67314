import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import type { CodeGrant } from './code.store.js';
import { GrantMarkerTable } from './grant-marker-table.js';

const codeHash = () => randomBytes(32).toString('base64url');
/** A key whose index slot (its first 32 bits) is a multiple of 16. */
const crowded = (bytes: Buffer) => {
  bytes[0] &= 0xf0;
  return bytes;
};
const grant = (): CodeGrant => ({ jti: randomUUID(), tenantId: randomUUID() });

describe(GrantMarkerTable.name, () => {
  let now: number;
  let sut: GrantMarkerTable;

  beforeEach(() => {
    now = 1_700_000_000_000;
    sut = new GrantMarkerTable(() => now);
  });

  afterEach(() => sut.close());

  it('should hand back a grant until its TTL has passed, then forget it', () => {
    const hash = codeHash();
    const kept = grant();

    expect(sut.put(hash, kept, 1830)).toBe(true);
    now += 1_829_999;
    expect(sut.get(hash)).toEqual(kept);
    now += 1;
    expect(sut.get(hash)).toBeNull();
  });

  it('should find nothing under a hash that differs from a stored one in its last byte only', () => {
    const bytes = randomBytes(32);
    sut.put(bytes.toString('base64url'), grant(), 60);
    bytes[31] ^= 1;

    expect(sut.get(bytes.toString('base64url'))).toBeNull();
    expect(sut.get(codeHash())).toBeNull();
    expect(sut.get('not-a-sha256')).toBeNull();
  });

  it('should refuse, storing nothing, a grant whose jti or tenant id is not a lower-case UUID', () => {
    expect(sut.put(codeHash(), { jti: randomUUID(), tenantId: 'demo' }, 60)).toBe(false);
    expect(sut.put(codeHash(), { jti: randomUUID().toUpperCase(), tenantId: randomUUID() }, 60)).toBe(false);
    expect(sut.size).toBe(0);
  });

  it('should replace the grant stored under a hash written again', () => {
    const hash = codeHash();
    sut.put(hash, grant(), 60);
    const second = grant();
    sut.put(hash, second, 60);

    expect(sut.get(hash)).toEqual(second);
    expect(sut.size).toBe(1);
  });

  // The index is checked against a Map through growth, expiry from the oldest end (with its back-shifting
  // deletions) and shrinking. Crowded keys start on one slot in 16, so probe runs are long and cross the end.
  it.each([
    ['random keys', () => randomBytes(32)],
    ['crowded keys', () => crowded(randomBytes(32))],
  ])('should agree with a Map over 20,000 writes with mixed TTLs and time passing (%s)', (_, keyBytes) => {
    const model = new Map<string, { grant: CodeGrant; expiresAt: number }>();
    const hashes: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const hash = keyBytes().toString('base64url');
      const kept = grant();
      const ttlSeconds = 1 + (i % 5);
      sut.put(hash, kept, ttlSeconds);
      model.set(hash, { grant: kept, expiresAt: now + ttlSeconds * 1000 });
      hashes.push(hash);
      now += 1;
      if (i % 193 === 0) {
        sut.sweep(); // as the background sweep would, between writes
        const recent = hashes.slice(-400);
        const expected = recent.map((probe) => model.get(probe)!);
        expect(recent.map((probe) => sut.get(probe))).toEqual(
          expected.map((marker) => (marker.expiresAt > now ? marker.grant : null)),
        );
      }
    }
    now += 5000;
    sut.sweep();
    expect(sut.size).toBe(0);
    const late = codeHash();
    sut.put(late, grant(), 60);
    expect(sut.get(late)).not.toBeNull();
  });

  it('should drop expired markers in the background, read or not', () => {
    jest.useFakeTimers();
    const table = new GrantMarkerTable(() => now);
    try {
      for (let i = 0; i < 3000; i++) table.put(codeHash(), grant(), 1);
      now += 1000;

      jest.advanceTimersByTime(1000);

      expect(table.size).toBe(0);
    } finally {
      table.close();
      jest.useRealTimers();
    }
  });
});
