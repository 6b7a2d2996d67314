import { describe, expect, it } from '@jest/globals';
import { GetTenantRequest } from './user-data/get-tenant.js';
import { HandoverError } from './errors.js';
import { validatePayload } from './validation.js';

describe(validatePayload.name, () => {
  it('should return an instance of the contract class for a valid payload', () => {
    const sut = validatePayload(GetTenantRequest, { slug: 'demo' });
    expect(sut).toBeInstanceOf(GetTenantRequest);
    expect(sut.slug).toBe('demo');
  });

  it('should refuse unknown properties instead of dropping them', () => {
    expect(() => validatePayload(GetTenantRequest, { slug: 'demo', tenantId: 'x' })).toThrow(
      expect.objectContaining({ code: 'invalid_request', description: expect.stringContaining('tenantId') }),
    );
  });

  it('should refuse a wrong type with a field-level message', () => {
    const attempt = () => validatePayload(GetTenantRequest, { slug: 42 });
    expect(attempt).toThrow(HandoverError);
    expect(attempt).toThrow(/slug/);
  });

  it.each([null, [], 'slug', 7])('should refuse a non-object payload (%p)', (payload) => {
    expect(() => validatePayload(GetTenantRequest, payload)).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
  });
});
