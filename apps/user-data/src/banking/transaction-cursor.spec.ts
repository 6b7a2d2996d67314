import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { MAX_POSITION_BYTES } from './banking-connector.js';
import { TransactionCursorCodec, type CursorBinding } from './transaction-cursor.js';

const master = randomBytes(32);
const binding: CursorBinding = {
  tenantId: '11111111-1111-4111-8111-111111111111',
  userId: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
  accountId: 'dddddddd-dddd-4ddd-8ddd-dddddddddddd',
};
const position = '2026-10-03T01:00:00.123456Z|eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee';

describe(TransactionCursorCodec.name, () => {
  const sut = new TransactionCursorCodec(master);

  describe('encode', () => {
    it('should give an opaque base64url cursor that fits the contract (200 chars) for the largest position', () => {
      const cursor = sut.encode(binding, 'x'.repeat(MAX_POSITION_BYTES));

      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(cursor.length).toBeLessThanOrEqual(200);
    });

    it.each([
      ['empty', ''],
      ['too long', 'x'.repeat(MAX_POSITION_BYTES + 1)],
    ])('should refuse a connector position that is %s (a connector bug, not a client error)', (_case, value) => {
      expect(() => sut.encode(binding, value)).toThrow('position must hold');
    });
  });

  describe('decode', () => {
    it('should give back the position it encoded for the same binding', () => {
      expect(sut.decode(binding, sut.encode(binding, position))).toBe(position);
    });

    it('should accept the same ids spelt in upper case (UUIDs are case-insensitive)', () => {
      const upper = { ...binding, accountId: binding.accountId.toUpperCase(), userId: binding.userId.toUpperCase() };

      expect(sut.decode(upper, sut.encode(binding, position))).toBe(position);
    });

    it('should round trip a non-ASCII position', () => {
      expect(sut.decode(binding, sut.encode(binding, 'Grüße|1'))).toBe('Grüße|1');
    });

    it.each([
      ['another account', { ...binding, accountId: 'ffffffff-ffff-4fff-8fff-ffffffffffff' }],
      ['another user', { ...binding, userId: 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb' }],
      ['another tenant', { ...binding, tenantId: '22222222-2222-4222-8222-222222222222' }],
    ])('should refuse a cursor bound to %s', (_case, other) => {
      expect(sut.decode(other, sut.encode(binding, position))).toBeNull();
    });

    it('should refuse a cursor made under another secret key', () => {
      const foreign = new TransactionCursorCodec(randomBytes(32)).encode(binding, position);

      expect(sut.decode(binding, foreign)).toBeNull();
    });

    it('should refuse a cursor whose position was edited (moved to another place in the walk)', () => {
      const bytes = Buffer.from(sut.encode(binding, position), 'base64url');
      bytes[5]! ^= 0x01;

      expect(sut.decode(binding, bytes.toString('base64url'))).toBeNull();
    });

    it('should refuse a truncated cursor, whatever the cut', () => {
      const cursor = sut.encode(binding, position);

      for (let length = 0; length < cursor.length; length++) {
        expect(sut.decode(binding, cursor.slice(0, length))).toBeNull();
      }
    });

    it('should refuse a cursor with characters appended, even those that add no byte (only the canonical spelling)', () => {
      const cursor = sut.encode(binding, position);

      for (const suffix of ['A', 'AA', 'AAA', 'AAAA']) expect(sut.decode(binding, `${cursor}${suffix}`)).toBeNull();
    });

    it('should refuse a non-canonical spelling of a valid cursor (trailing bits set)', () => {
      // A cursor whose length leaves spare bits in its last character: flip one of those bits.
      const cursor = [position, `${position}x`, `${position}xy`]
        .map((p) => sut.encode(binding, p))
        .find((c) => c.length % 4 !== 0)!;
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = alphabet.indexOf(cursor.at(-1)!);
      const respelled = `${cursor.slice(0, -1)}${alphabet[last ^ 1]}`;

      expect(Buffer.from(respelled, 'base64url').equals(Buffer.from(cursor, 'base64url'))).toBe(true);
      expect(sut.decode(binding, respelled)).toBeNull();
    });

    it.each([
      ['empty', ''],
      ['not base64url', 'abc+/='],
      ['padded', `${'A'.repeat(40)}==`],
      ['spaces', 'AAAA AAAA'],
      ['a plain JSON position', Buffer.from(JSON.stringify({ after: position })).toString('base64url')],
      ['a well-formed but made-up cursor', Buffer.alloc(60, 1).toString('base64url')],
      ['an oversized cursor', 'A'.repeat(200)],
    ])('should refuse a forged cursor (%s)', (_case, cursor) => {
      expect(sut.decode(binding, cursor)).toBeNull();
    });

    it('should refuse a cursor whose version byte was changed (the tag covers it)', () => {
      const bytes = Buffer.from(sut.encode(binding, position), 'base64url');
      bytes[0] = 2;

      expect(sut.decode(binding, bytes.toString('base64url'))).toBeNull();
    });
  });
});
