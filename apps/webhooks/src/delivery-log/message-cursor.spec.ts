import { describe, expect, it } from '@jest/globals';
import { HandoverError } from '#contracts';
import { decodeCursor, encodeCursor } from './message-cursor.js';

describe('message cursor', () => {
  const cursor = { createdAt: '2025-01-01T12:00:00.123456Z', id: 'msg_abc' };

  it('should read back what it wrote', () => {
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it.each([
    ['not base64 JSON', 'bm90IGEgY3Vyc29y'],
    ['another shape', Buffer.from(JSON.stringify({ a: 1 })).toString('base64url')],
    ['a time PostgreSQL would misread', encodeCursor({ ...cursor, createdAt: '2025-01-01' })],
    ['an id that is not a message id', encodeCursor({ ...cursor, id: "x' OR 1=1" })],
  ])('should refuse %s as invalid_request', (_what, text) => {
    expect(() => decodeCursor(text)).toThrow(HandoverError);
    expect(() => decodeCursor(text)).toThrow('invalid_request');
  });
});
