import { beforeEach, describe, expect, it } from '@jest/globals';
import { HandoverError, type TenantReply } from '#contracts';
import { toHttpError } from '#http-edge';
import { RpcClient } from '#messaging';
import type { Logger } from '#observability';
import { automock, type Mocked } from '#mocks';
import { KnownTokens } from '../data-api/known-tokens.js';
import { GatewayOptions } from '../gateway.options.js';
import { TenantDirectory } from '../tenants/tenant-directory.service.js';
import { OAuthEndpoints } from './oauth-endpoints.service.js';

const demo: TenantReply = {
  id: '11111111-1111-4111-8111-111111111111',
  slug: 'demo',
  name: 'Demo Bank',
  outboundNetwork: 'public',
};
const issuer = 'http://localhost:3000/t/demo';
const FORM = 'application/x-www-form-urlencoded';
const basic = `Basic ${Buffer.from('demo-vendor:demo-vendor-secret').toString('base64')}`;
const silent = { warn: () => undefined, error: () => undefined } as unknown as Logger;
const tokenReply = { access_token: 'at', token_type: 'Bearer' as const, expires_in: 1800, scope: 'profile' };

describe(OAuthEndpoints.name, () => {
  let sut: OAuthEndpoints;
  let rpc: Mocked<RpcClient>;
  let tenants: Mocked<TenantDirectory>;
  let known: KnownTokens;

  beforeEach(() => {
    rpc = automock(RpcClient, ['request', 'publish']);
    tenants = automock(TenantDirectory);
    tenants.resolve.mockResolvedValue(demo);
    known = new KnownTokens();
    sut = new OAuthEndpoints(tenants, rpc, new GatewayOptions('http://localhost:3000', 'embedded'), known);
  });

  const form = (body: Record<string, unknown>, authorization: string | null = basic) => ({
    contentType: FORM,
    authorization: authorization ?? undefined,
    body,
    requestId: 'req-1',
  });

  describe('token', () => {
    it('should exchange an authorization code with the client credentials, the tenant and its issuer', async () => {
      rpc.request.mockResolvedValue(tokenReply as never);
      await expect(
        sut.token(
          'demo',
          form({ grant_type: 'authorization_code', code: 'c0de', code_verifier: 'v', redirect_uri: 'r' }),
        ),
      ).resolves.toEqual(tokenReply);
      expect(rpc.request).toHaveBeenCalledWith(
        'token.code.exchange',
        {
          tenantId: demo.id,
          issuer,
          clientId: 'demo-vendor',
          clientSecret: 'demo-vendor-secret',
          code: 'c0de',
          redirectUri: 'r',
          codeVerifier: 'v',
        },
        'req-1',
      );
      // This replica relayed the token from its signer: its data API knows it, for this tenant only.
      expect(known.isKnown(demo.id, tokenReply.access_token)).toBe(true);
      expect(known.isKnown('22222222-2222-4222-8222-222222222222', tokenReply.access_token)).toBe(false);
    });

    it("should name the HTTP request on the tenant lookup and on the token app's exchange", async () => {
      rpc.request.mockResolvedValue(tokenReply as never);
      await sut.token('demo', { ...form({ grant_type: 'authorization_code', code: 'c' }), requestId: 'edge-42' });
      expect(tenants.resolve).toHaveBeenCalledWith('demo', 'edge-42');
      expect(rpc.request).toHaveBeenCalledWith('token.code.exchange', expect.any(Object), 'edge-42');
    });

    it('should require grant_type, and refuse every grant but authorization_code without a bus call', async () => {
      await expect(sut.token('demo', form({ code: 'c' }))).rejects.toMatchObject({ code: 'invalid_request' });
      for (const grant of [
        'password',
        'client_credentials',
        'refresh_token',
        'urn:handover:params:oauth:grant-type:ticket',
      ]) {
        await expect(sut.token('demo', form({ grant_type: grant }))).rejects.toMatchObject({
          code: 'unsupported_grant_type',
        });
      }
      expect(rpc.request).not.toHaveBeenCalled();
    });

    it('should refuse a JSON body and a repeated code with invalid_request', async () => {
      await expect(
        sut.token('demo', {
          contentType: 'application/json',
          authorization: basic,
          body: { grant_type: 'authorization_code' },
          requestId: 'req-1',
        }),
      ).rejects.toMatchObject({ code: 'invalid_request' });
      await expect(
        sut.token('demo', form({ grant_type: 'authorization_code', code: ['a', 'b'] })),
      ).rejects.toMatchObject({ code: 'invalid_request' });
      expect(rpc.request).not.toHaveBeenCalled();
    });

    it('should refuse two client authentication methods with invalid_request, before touching the code', async () => {
      await expect(
        sut.token(
          'demo',
          form({ grant_type: 'authorization_code', code: 'c', client_id: 'demo-vendor', client_secret: 'x' }),
        ),
      ).rejects.toMatchObject({ code: 'invalid_request' });
      expect(rpc.request).not.toHaveBeenCalled();
    });

    it('should challenge an invalid_client answer with WWW-Authenticate: Basic realm=<issuer>', async () => {
      rpc.request.mockRejectedValue(new HandoverError('invalid_client', 'client authentication failed') as never);
      const failure = await sut
        .token('demo', form({ grant_type: 'authorization_code', code: 'c' }))
        .catch((e: unknown) => e);
      expect(toHttpError(failure, silent, 'req-1')).toMatchObject({
        status: 401,
        body: { error: 'invalid_client' },
        headers: { 'www-authenticate': `Basic realm="${issuer}"` },
      });
    });

    it('should pass a code longer than any issued one as the empty code, so the answer is the usual invalid_grant', async () => {
      rpc.request.mockRejectedValue(new HandoverError('invalid_grant', 'the code is invalid') as never);
      await expect(
        sut.token('demo', form({ grant_type: 'authorization_code', code: 'c'.repeat(10_000) })),
      ).rejects.toMatchObject({ code: 'invalid_grant' });
      expect(rpc.request).toHaveBeenCalledWith('token.code.exchange', expect.objectContaining({ code: '' }), 'req-1');
    });

    it('should pass on too_many_requests with its retry hint', async () => {
      rpc.request.mockRejectedValue(new HandoverError('too_many_requests', 'slow down', { retryAfter: 7 }) as never);
      const failure = await sut
        .token('demo', form({ grant_type: 'authorization_code', code: 'c' }))
        .catch((e: unknown) => e);
      expect(toHttpError(failure, silent, 'req-1')).toMatchObject({ status: 429, headers: { 'retry-after': '7' } });
    });
  });

  describe('introspect', () => {
    it('should require client authentication (RFC 7662 §2.1) before asking the token app', async () => {
      const failure = await sut.introspect('demo', form({ token: 't' }, null)).catch((e: unknown) => e);
      expect(toHttpError(failure, silent, 'req-1')).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
      expect(rpc.request).not.toHaveBeenCalled();
    });

    it('should require the token parameter', async () => {
      await expect(sut.introspect('demo', form({}))).rejects.toMatchObject({ code: 'invalid_request' });
    });

    it('should answer what the token app answers', async () => {
      rpc.request.mockResolvedValue({ active: false } as never);
      await expect(sut.introspect('demo', form({ token: 'junk' }))).resolves.toEqual({ active: false });
      expect(rpc.request).toHaveBeenCalledWith(
        'token.introspect',
        {
          tenantId: demo.id,
          issuer,
          clientId: 'demo-vendor',
          clientSecret: 'demo-vendor-secret',
          token: 'junk',
        },
        'req-1',
      );
    });
  });

  describe('revoke', () => {
    it('should revoke through the token app and answer nothing', async () => {
      rpc.request.mockResolvedValue({ revoked: false } as never);
      await expect(
        sut.revoke('demo', form({ token: 'garbage', token_type_hint: 'access_token' })),
      ).resolves.toBeUndefined();
      expect(rpc.request).toHaveBeenCalledWith(
        'token.revoke',
        expect.objectContaining({ token: 'garbage', tokenTypeHint: 'access_token' }),
        'req-1',
      );
    });

    it("should pass on the token app's refusal of another vendor's token", async () => {
      rpc.request.mockRejectedValue(new HandoverError('unauthorized_client', 'not yours') as never);
      await expect(sut.revoke('demo', form({ token: 't' }))).rejects.toMatchObject({ code: 'unauthorized_client' });
    });

    it('should refuse a repeated token parameter', async () => {
      await expect(sut.revoke('demo', form({ token: ['a', 'b'] }))).rejects.toMatchObject({ code: 'invalid_request' });
    });
  });

  it('should answer an unknown tenant as not_found at every endpoint', async () => {
    tenants.resolve.mockRejectedValue(new HandoverError('not_found', 'no such tenant') as never);
    await expect(sut.token('nope', form({}))).rejects.toMatchObject({ code: 'not_found' });
    await expect(sut.introspect('nope', form({}))).rejects.toMatchObject({ code: 'not_found' });
    await expect(sut.revoke('nope', form({}))).rejects.toMatchObject({ code: 'not_found' });
  });
});
