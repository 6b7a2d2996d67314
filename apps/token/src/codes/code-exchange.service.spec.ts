import { beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import {
  HandoverError,
  type EventOf,
  type EventSubject,
  type RequestOf,
  type RequestSubject,
  type ReplyOf,
  type VendorRecord,
} from '#contracts';
import { RpcClient } from '#messaging';
import { s256 } from '#oauth';
import { SecretBox, SecretHasher } from '#security';
import { MemoryShortLivedStore } from '#storage';
import { AccessTokensService } from '../access-tokens/access-tokens.service.js';
import { TokenStatusService } from '../access-tokens/token-status.service.js';
import { Clock } from '../clock.js';
import { RevocationService } from '../revocation/revocation.service.js';
import { SessionStore } from '../sessions/session.store.js';
import { SessionsService } from '../sessions/sessions.service.js';
import type { SigningKeyEntity } from '../signing-keys/signing-key.entity.js';
import type { SigningKeyRepository } from '../signing-keys/signing-key.repository.js';
import { SigningKeysService } from '../signing-keys/signing-keys.service.js';
import { type TokenPolicy } from '../token.policy.js';
import { ClientAuthenticator } from '../vendors/client-authenticator.js';
import { VendorDirectory } from '../vendors/vendor-directory.js';
import { CodeExchangeService } from './code-exchange.service.js';
import { CodeIssueService } from './code-issue.service.js';
import { CodeStore } from './code.store.js';

const tenantId = '11111111-1111-4111-8111-111111111111';
const issuer = 'http://localhost:3000/t/demo';
const pluginUrl = 'http://localhost:3000/demo/plugin';

/** A bus that answers vendor lookups and records published events. */
class FakeBus extends RpcClient {
  events: Array<{ subject: string; payload: unknown }> = [];
  constructor(private readonly vendors: VendorRecord[]) {
    super();
  }
  async request<S extends RequestSubject>(subject: S, payload: RequestOf<S>): Promise<ReplyOf<S>> {
    if (subject !== 'user-data.vendor.get') throw new Error(`unexpected ${subject}`);
    const { clientId } = payload as RequestOf<'user-data.vendor.get'>;
    const vendor = this.vendors.find((v) => v.clientId === clientId);
    if (!vendor) throw new HandoverError('not_found', 'no such vendor');
    return vendor as ReplyOf<S>;
  }
  async publish<E extends EventSubject>(subject: E, payload: EventOf<E>): Promise<void> {
    this.events.push({ subject, payload });
  }
}

function vendor(clientId: string, hasher: SecretHasher, overrides: Partial<VendorRecord> = {}): VendorRecord {
  return {
    id: randomBytes(8).toString('hex'),
    tenantId,
    clientId,
    name: clientId,
    secretHash: hasher.hash(`${clientId}-secret`),
    pluginUrls: [pluginUrl],
    redirectUris: ['https://vendor.example/callback'],
    allowedOrigins: ['http://localhost:3000'],
    config: { theme: 'light' },
    scopes: ['profile', 'accounts'],
    pkceRequired: false,
    launchMode: 'embed',
    ...overrides,
  };
}

describe(CodeExchangeService.name, () => {
  let sut: CodeExchangeService;
  let issuerService: CodeIssueService;
  let status: TokenStatusService;
  let sessions: SessionsService;
  let bus: FakeBus;
  let sid: string;

  beforeEach(async () => {
    const master = randomBytes(32);
    const hasher = new SecretHasher(master);
    const store = new MemoryShortLivedStore();
    const clock = new Clock();
    const keys: SigningKeyEntity[] = [];
    const repository = {
      findPublishable: async (id: string) => keys.filter((k) => k.tenantId === id),
      insertActiveIfNone: async (key: Omit<SigningKeyEntity, 'createdAt' | 'status'>) => {
        if (keys.some((k) => k.tenantId === key.tenantId)) return false;
        keys.push({ ...key, status: 'active', createdAt: new Date() });
        return true;
      },
    } as unknown as SigningKeyRepository;
    bus = new FakeBus([
      vendor('vendor-a', hasher),
      vendor('vendor-b', hasher),
      vendor('strict', hasher, { pkceRequired: true }),
    ]);
    const policy: TokenPolicy = { sessionTtlSeconds: 3600, clientFailuresPerMinute: 1000 };
    const sessionStore = new SessionStore(store);
    const revocation = new RevocationService(store, bus, clock);
    const tokens = new AccessTokensService(new SigningKeysService(repository, new SecretBox(master, 'keys')), clock);
    const clients = new ClientAuthenticator(new VendorDirectory(bus, clock), hasher, store, policy);
    const codes = new CodeStore(store);
    sessions = new SessionsService(sessionStore, revocation, policy, clock);
    issuerService = new CodeIssueService(sessionStore, new VendorDirectory(bus, clock), codes, clock);
    sut = new CodeExchangeService(clients, codes, sessionStore, revocation, tokens, clock);
    status = new TokenStatusService(clients, tokens, revocation, sessionStore);
    sid = (
      await sessions.create({
        tenantId,
        user: { id: '22222222-2222-4222-8222-222222222222', login: 'demo', email: null, name: null },
        authMethod: 'host',
      })
    ).sessionId;
  });

  const issue = (clientId = 'vendor-a', extra: Record<string, string> = {}) =>
    issuerService.issue({ tenantId, sessionId: sid, clientId, ...extra });
  const exchange = (code: string, clientId = 'vendor-a', extra: Record<string, string> = {}) =>
    sut.exchange({ tenantId, issuer, clientId, clientSecret: `${clientId}-secret`, code, ...extra });
  const introspect = (token: string, clientId = 'vendor-a') =>
    status.introspect({ tenantId, issuer, clientId, clientSecret: `${clientId}-secret`, token });

  it('should exchange a code for an RFC 9068 at+jwt bound to the session, vendor and scope', async () => {
    const { code, redirectUri, config } = await issue();
    expect(redirectUri).toBe(pluginUrl);
    expect(config).toEqual({ theme: 'light' });
    const reply = await exchange(code);
    expect(reply).toEqual(
      expect.objectContaining({ token_type: 'Bearer', expires_in: 1800, scope: 'profile accounts' }),
    );
    expect(decodeProtectedHeader(reply.access_token)).toEqual(expect.objectContaining({ typ: 'at+jwt', alg: 'ES256' }));
    expect(decodeJwt(reply.access_token)).toEqual(
      expect.objectContaining({
        iss: issuer,
        aud: `${issuer}/api/v1`,
        client_id: 'vendor-a',
        sid,
        scope: 'profile accounts',
      }),
    );
    await expect(introspect(reply.access_token)).resolves.toEqual(expect.objectContaining({ active: true, sid }));
  });

  it('should refuse a reused code and revoke the token it yielded (CX-01)', async () => {
    const { code } = await issue();
    const { access_token } = await exchange(code);
    await expect(exchange(code)).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(introspect(access_token)).resolves.toEqual({ active: false });
    expect(bus.events.map((e) => e.subject)).toContain('token.revoked');
  });

  it('should give exactly one token to 64 concurrent exchanges of one code, then revoke it (CR-01)', async () => {
    const { code } = await issue();
    const results = await Promise.allSettled(Array.from({ length: 64 }, () => exchange(code)));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(
      results
        .filter((r) => r.status === 'rejected')
        .every((r) => (r.reason as { code: string }).code === 'invalid_grant'),
    ).toBe(true);
    const token = (won[0] as PromiseFulfilledResult<{ access_token: string }>).value.access_token;
    await expect(introspect(token)).resolves.toEqual({ active: false });
  });

  it("should not let another vendor burn a vendor's code (CX-04)", async () => {
    const { code } = await issue();
    await expect(exchange(code, 'vendor-b')).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(exchange(code)).resolves.toEqual(expect.objectContaining({ token_type: 'Bearer' }));
  });

  it('should not burn the code on a failed client authentication (CX-05)', async () => {
    const { code } = await issue();
    await expect(
      sut.exchange({ tenantId, issuer, clientId: 'vendor-a', clientSecret: 'wrong', code }),
    ).rejects.toMatchObject({
      code: 'invalid_client',
    });
    await expect(sut.exchange({ tenantId, issuer, clientId: 'nobody', clientSecret: 'x', code })).rejects.toMatchObject(
      {
        code: 'invalid_client',
      },
    );
    await expect(exchange(code)).resolves.toEqual(expect.objectContaining({ token_type: 'Bearer' }));
  });

  it('should answer unknown, malformed and huge codes with the same invalid_grant (CX-03)', async () => {
    const errors = await Promise.all(
      ['x'.repeat(43), 'a%00b', '\u202e', 'z'.repeat(500)].map((code) => exchange(code).catch((e: unknown) => e)),
    );
    expect(new Set(errors.map((e) => JSON.stringify((e as { toBody(): unknown }).toBody()))).size).toBe(1);
  });

  it('should enforce the S256 challenge and refuse a verifier without one (CX-07)', async () => {
    const verifier = randomBytes(40).toString('base64url');
    const { code } = await issue('vendor-a', { codeChallenge: s256(verifier), codeChallengeMethod: 'S256' });
    await expect(exchange(code)).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(exchange(code, 'vendor-a', { codeVerifier: `${verifier}x` })).rejects.toMatchObject({
      code: 'invalid_grant',
    });
    await expect(exchange(code, 'vendor-a', { codeVerifier: verifier })).resolves.toEqual(
      expect.objectContaining({ token_type: 'Bearer' }),
    );

    const plain = await issue();
    await expect(exchange(plain.code, 'vendor-a', { codeVerifier: verifier })).rejects.toMatchObject({
      code: 'invalid_grant',
    });
    await expect(issue('strict')).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(
      issue('vendor-a', { codeChallenge: s256(verifier), codeChallengeMethod: 'plain' }),
    ).rejects.toMatchObject({
      code: 'invalid_request',
    });
  });

  it('should bind the code to its redirect URI with an exact match (CX-08)', async () => {
    for (const uri of [`${pluginUrl}/`, `${pluginUrl}?x=1`, pluginUrl.toUpperCase(), 'https://evil.example/']) {
      await expect(issue('vendor-a', { redirectUri: uri })).rejects.toMatchObject({ code: 'invalid_request' });
    }
    const { code } = await issue('vendor-a', { redirectUri: 'https://vendor.example/callback' });
    await expect(exchange(code, 'vendor-a', { redirectUri: pluginUrl })).rejects.toMatchObject({
      code: 'invalid_grant',
    });
  });

  it('should refuse a code whose session has ended, and kill tokens when the session ends', async () => {
    const first = await issue();
    const { access_token } = await exchange(first.code);
    const second = await issue();
    await sessions.end({ tenantId, sessionId: sid, reason: 'host_logout' });
    await expect(exchange(second.code)).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(introspect(access_token)).resolves.toEqual({ active: false });
    expect(bus.events.map((e) => e.subject)).toContain('session.logged_out');
  });

  it("should refuse revoking another vendor's token and keep it active (TK-07 d)", async () => {
    const { code } = await issue();
    const { access_token } = await exchange(code);
    await expect(
      status.revoke({ tenantId, issuer, clientId: 'vendor-b', clientSecret: 'vendor-b-secret', token: access_token }),
    ).rejects.toMatchObject({ code: 'unauthorized_client' });
    await expect(introspect(access_token)).resolves.toEqual(expect.objectContaining({ active: true }));
    await expect(introspect(access_token, 'vendor-b')).resolves.toEqual({ active: false });
    await expect(
      status.revoke({ tenantId, issuer, clientId: 'vendor-a', clientSecret: 'vendor-a-secret', token: access_token }),
    ).resolves.toEqual({ revoked: true });
    await expect(introspect(access_token)).resolves.toEqual({ active: false });
    await expect(
      status.revoke({ tenantId, issuer, clientId: 'vendor-a', clientSecret: 'vendor-a-secret', token: 'garbage' }),
    ).resolves.toEqual({ revoked: false });
  });
});
