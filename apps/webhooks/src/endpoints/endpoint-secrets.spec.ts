import { randomBytes } from 'node:crypto';
import { describe, expect, it, jest } from '@jest/globals';
import { SecretBox } from '#security';
import { EndpointSecrets } from './endpoint-secrets.js';

describe(EndpointSecrets.name, () => {
  const sut = new EndpointSecrets(randomBytes(32));
  const now = Date.parse('2025-01-01T00:00:00Z');
  const endpoint = (overrides: Partial<Parameters<EndpointSecrets['signingSecrets']>[0]> = {}) => ({
    id: 'e1',
    secret: sut.seal('e1', 'whsec_new'),
    previousSecret: sut.seal('e1', 'whsec_old'),
    previousSecretValidUntil: new Date(now + 1_000),
    ...overrides,
  });

  it('should sign with both secrets during the overlap, the current one first', () => {
    expect(sut.signingSecrets(endpoint(), now)).toEqual(['whsec_new', 'whsec_old']);
  });

  it('should drop the previous secret once the overlap is over', () => {
    expect(sut.signingSecrets(endpoint({ previousSecretValidUntil: new Date(now) }), now)).toEqual(['whsec_new']);
  });

  it('should not open a sealed secret copied to another endpoint', () => {
    expect(() => sut.signingSecrets(endpoint({ id: 'e2' }), now)).toThrow();
  });

  it('should not open under another secret key', () => {
    const other = new EndpointSecrets(randomBytes(32));
    expect(() => other.signingSecrets(endpoint(), now)).toThrow();
  });

  it('should open each sealed value once, and serve a rotated secret at once', () => {
    const secrets = new EndpointSecrets(randomBytes(32));
    const sealed = secrets.seal('e1', 'whsec_first');
    const first = { id: 'e1', secret: sealed, previousSecret: null, previousSecretValidUntil: null };
    const open = jest.spyOn(SecretBox.prototype, 'open');
    try {
      expect(secrets.signingSecrets(first, now)).toEqual(['whsec_first']);
      expect(secrets.signingSecrets(first, now)).toEqual(['whsec_first']);
      expect(open).toHaveBeenCalledTimes(1);
    } finally {
      open.mockRestore();
    }
    const rotated = { ...first, secret: secrets.seal('e1', 'whsec_second'), previousSecret: sealed };
    expect(secrets.signingSecrets({ ...rotated, previousSecretValidUntil: new Date(now + 1) }, now)).toEqual([
      'whsec_second',
      'whsec_first',
    ]);
    // The cache is keyed by the endpoint too: a value that opened for e1 still does not open for e2.
    expect(() => secrets.signingSecrets({ ...first, id: 'e2' }, now)).toThrow();
  });

  it('should have no secret for a back-channel logout endpoint', () => {
    expect(sut.signingSecrets(endpoint({ secret: null }), now)).toEqual([]);
  });
});
