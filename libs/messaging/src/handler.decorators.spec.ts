import { describe, expect, it } from '@jest/globals';
import { PATTERN_METADATA } from '@nestjs/microservices/constants.js';
import type { GetJwksRequest, GetTenantRequest, JwksReply, TenantChanged, TenantReply } from '#contracts';
import { HandleEvent, HandleRequest } from './handler.decorators.js';

class TenantHandlers {
  seen: unknown[] = [];

  @HandleRequest('user-data.tenant.get')
  tenant(request: GetTenantRequest): TenantReply {
    this.seen.push(request);
    return { id: '00000000-0000-4000-8000-000000000000', slug: request.slug, name: 'Demo', outboundNetwork: 'public' };
  }

  @HandleEvent('tenant.changed', { broadcast: true })
  changed(event: TenantChanged): void {
    this.seen.push(event);
  }
}

// Compile-time proof that a handler cannot disagree with the contract map: `npm run typecheck` fails if any
// of the lines below stops being an error. (jest runs through swc, which does not type-check.)
export class Mismatched {
  // @ts-expect-error: the payload type is another subject's request
  @HandleRequest('user-data.tenant.get')
  wrongPayload(request: GetJwksRequest): TenantReply {
    return { id: request.tenantId, slug: 'x', name: 'x', outboundNetwork: 'public' };
  }

  // @ts-expect-error: the reply type is another subject's reply
  @HandleRequest('user-data.tenant.get')
  wrongReply(_request: GetTenantRequest): JwksReply {
    return { keys: [] };
  }

  // @ts-expect-error: the subject does not exist
  @HandleRequest('user-data.tenant.fetch')
  unknownSubject(request: GetTenantRequest): TenantReply {
    return { id: '', slug: request.slug, name: '', outboundNetwork: 'public' };
  }
}

describe('HandleRequest', () => {
  it('should register the method under its subject for Nest', () => {
    expect(Reflect.getMetadata(PATTERN_METADATA, TenantHandlers.prototype.tenant)).toEqual(['user-data.tenant.get']);
  });

  it('should hand the method a validated instance of the contract class', () => {
    const sut = new TenantHandlers();
    expect(sut.tenant({ slug: 'demo' } as GetTenantRequest).slug).toBe('demo');
    expect(sut.seen[0]).toEqual({ slug: 'demo' });
  });

  it('should refuse an invalid payload before the method runs', () => {
    const sut = new TenantHandlers();
    expect(() => sut.tenant({ slug: 'Not A Slug' } as GetTenantRequest)).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
    expect(() => sut.tenant({ slug: 'demo', extra: true } as unknown as GetTenantRequest)).toThrow(/extra/);
    expect(sut.seen).toHaveLength(0);
  });
});

describe('HandleEvent', () => {
  it('should validate event payloads too', () => {
    const sut = new TenantHandlers();
    expect(() => sut.changed({ tenantId: 'nope', slug: 'demo' })).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
    expect(sut.seen).toHaveLength(0);
  });
});
