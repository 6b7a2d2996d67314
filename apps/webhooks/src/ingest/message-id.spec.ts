import { describe, expect, it } from '@jest/globals';
import { messageIdOf } from './message-id.js';

describe(messageIdOf.name, () => {
  const event = `evt_${'a'.repeat(32)}`;

  it('should be msg_ and 27 base64url characters', () => {
    expect(messageIdOf(event, '0b6f8e0e-6f2f-4f5e-9d4f-5b2f2b0a1c3d')).toMatch(/^msg_[A-Za-z0-9_-]{27}$/);
  });

  it('should be the same for the same event and endpoint (a redelivered event makes no second message)', () => {
    expect(messageIdOf(event, 'e1')).toBe(messageIdOf(event, 'e1'));
  });

  it('should differ per endpoint and per event', () => {
    expect(messageIdOf(event, 'e1')).not.toBe(messageIdOf(event, 'e2'));
    expect(messageIdOf(event, 'e1')).not.toBe(messageIdOf(`evt_${'b'.repeat(32)}`, 'e1'));
  });
});
