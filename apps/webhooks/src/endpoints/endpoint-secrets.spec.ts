import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
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

  it('should have no secret for a back-channel logout endpoint', () => {
    expect(sut.signingSecrets(endpoint({ secret: null }), now)).toEqual([]);
  });
});
