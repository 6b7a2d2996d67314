import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { s256 } from '#oauth';
import { HandoverError } from '#contracts';
import { MemoryShortLivedStore, type OwnedIndexEntry, type StoreEntry } from '#storage';
import { buildTokenServices, issuer, pluginUrl, tenantId } from '../../test/token-fixture.js';
import { sessionHandle } from '../sessions/session-handle.js';
import { CodeExchangeService } from './code-exchange.service.js';
import { CodeStore } from './code.store.js';
import { GrantMarkerTable } from './grant-marker-table.js';

/**
 * A memory store with the round trips of a networked one: like node-redis, it sends every command issued before
 * the event loop's next check phase in one write, and answers them after it. `log` holds, per round trip, the
 * commands it carried (method and key kind), so a test can see which reads and writes travel together.
 */
class RoundTripStore extends MemoryShortLivedStore {
  readonly log: string[][] = [];
  private current: { commands: string[]; sent: Promise<void> } | undefined;

  private async roundTrip(method: string, key: string): Promise<void> {
    if (!this.current) {
      const round = { commands: [] as string[], sent: new Promise<void>((resolve) => setImmediate(resolve)) };
      this.current = round;
      this.log.push(round.commands);
      void round.sent.then(() => {
        if (this.current === round) this.current = undefined;
      });
    }
    this.current.commands.push(`${method} ${key.split(':')[0]}`);
    await this.current.sent;
  }

  override async get(key: string): Promise<string | null> {
    await this.roundTrip('get', key);
    return super.get(key);
  }

  override async take(key: string): Promise<string | null> {
    await this.roundTrip('take', key);
    return super.take(key);
  }

  override async putAll(entries: readonly StoreEntry[]): Promise<void> {
    await this.roundTrip('putAll', entries.map((e) => e.key.split(':')[0]).join('+'));
    return super.putAll(entries);
  }

  override async putAllWhileLive(
    owner: string,
    entries: readonly StoreEntry[],
    index: OwnedIndexEntry,
  ): Promise<boolean> {
    const kinds = [owner, ...entries.map((e) => e.key), index.key].map((key) => key.split(':')[0]);
    await this.roundTrip('putAllWhileLive', kinds.join('+'));
    return super.putAllWhileLive(owner, entries, index);
  }

  override async put(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.roundTrip('put', key);
    return super.put(key, value, ttlSeconds);
  }

  override async increment(key: string, ttlSeconds: number): Promise<number> {
    await this.roundTrip('increment', key);
    return super.increment(key, ttlSeconds);
  }

  override async indexAdd(index: string, member: string, expiresAtMs: number, keepSeconds?: number): Promise<void> {
    await this.roundTrip('indexAdd', index);
    return super.indexAdd(index, member, expiresAtMs, keepSeconds);
  }

  /** Fails the reads of keys of one kind (a store gone away) until the returned function is called. */
  failReadsOf(kind: string): () => void {
    const get = this.get;
    this.get = async (key: string) => {
      if (key.startsWith(`${kind}:`)) throw HandoverError.unavailable('the short-lived store is unavailable');
      return get.call(this, key);
    };
    return () => {
      this.get = get;
    };
  }
}

describe(CodeExchangeService.name, () => {
  let t: ReturnType<typeof buildTokenServices>;
  let sid: string;
  const issue = (clientId = 'vendor-a', extra: Record<string, string> = {}) => t.issue(sid, clientId, extra);

  beforeEach(async () => {
    t = buildTokenServices(new MemoryShortLivedStore());
    sid = await t.openSession();
  });

  it("should exchange a code for an RFC 9068 at+jwt bound to the session's handle, vendor and scope", async () => {
    const { code, redirectUri, config } = await issue();
    expect(redirectUri).toBe(pluginUrl);
    expect(config).toEqual({ theme: 'light' });
    const reply = await t.exchange(code);
    expect(reply).toEqual(
      expect.objectContaining({ token_type: 'Bearer', expires_in: 1800, scope: 'profile accounts' }),
    );
    expect(decodeProtectedHeader(reply.access_token)).toEqual(expect.objectContaining({ typ: 'at+jwt', alg: 'ES256' }));
    expect(decodeJwt(reply.access_token)).toEqual(
      expect.objectContaining({
        iss: issuer,
        aud: `${issuer}/api/v1`,
        client_id: 'vendor-a',
        sid: sessionHandle(sid),
        scope: 'profile accounts',
      }),
    );
    // The token carries the handle, never the session id (the hub cookie and host API secret).
    expect(JSON.stringify(decodeJwt(reply.access_token))).not.toContain(sid);
    await expect(t.introspect(reply.access_token)).resolves.toEqual(
      expect.objectContaining({ active: true, sid: sessionHandle(sid) }),
    );
  });

  it('should reach the store once per issue and twice per exchange: (throttle counter + code), then (consume + session)', async () => {
    const store = new RoundTripStore();
    t = buildTokenServices(store);
    sid = await t.openSession();
    store.log.length = 0;

    const { code } = await issue();
    expect(store.log).toEqual([['putAllWhileLive session+code-grant+code+session-vendors']]);
    store.log.length = 0;

    await t.exchange(code);
    expect(store.log).toEqual([
      ['get code', 'get client-failures'],
      ['take code', 'get session'],
    ]);
  });

  it('should answer a failed client authentication with invalid_client, whatever the code read gave', async () => {
    const store = new RoundTripStore();
    t = buildTokenServices(store);
    sid = await t.openSession();
    const { code } = await issue();
    const restore = store.failReadsOf('code');

    await expect(
      t.exchanger.exchange({ tenantId, issuer, clientId: 'vendor-a', clientSecret: 'wrong', code }),
    ).rejects.toMatchObject({ code: 'invalid_client' });
    // Once the client is authenticated, the failed read is the answer: unavailable (503).
    await expect(t.exchange(code)).rejects.toMatchObject({ code: 'temporarily_unavailable' });

    restore();
    await expect(t.exchange(code)).resolves.toEqual(expect.objectContaining({ token_type: 'Bearer' }));
  });

  it('should refuse a reused code and revoke the token it yielded (CX-01)', async () => {
    const { code } = await issue();
    const { access_token } = await t.exchange(code);
    await expect(t.exchange(code)).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(t.introspect(access_token)).resolves.toEqual({ active: false });
    expect(t.bus.events.map((e) => e.subject)).toContain('token.revoked');
  });

  it('should keep the grant marker as "<jti> <tenant>" and still read one written as JSON before', async () => {
    const store = new MemoryShortLivedStore();
    t = buildTokenServices(store);
    sid = await t.openSession();
    const { code } = await issue();
    const { access_token } = await t.exchange(code);
    const markerKey = `code-grant:${createHash('sha256').update(code).digest('base64url')}`;
    const { jti } = decodeJwt(access_token);
    await expect(store.get(markerKey)).resolves.toBe(`${jti} ${tenantId}`);

    // A marker in the earlier JSON form (it lives 30.5 min across an upgrade) revokes its token just the same.
    await store.put(markerKey, JSON.stringify({ tenantId, jti, expiresAt: Date.now() + 1_830_000 }), 1830);
    await expect(t.exchange(code)).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(t.introspect(access_token)).resolves.toEqual({ active: false });
  });

  it('should refuse a code after its 30 s and still revoke on a late reuse (CX-02)', async () => {
    let now = Date.now();
    t = buildTokenServices(new MemoryShortLivedStore(() => now));
    sid = await t.openSession();
    const unused = await issue();
    const used = await issue();
    const { access_token } = await t.exchange(used.code);
    now += 31_000;
    await expect(t.exchange(unused.code)).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(t.exchange(used.code)).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(t.introspect(access_token)).resolves.toEqual({ active: false });
  });

  describe('with the grant markers off the heap (embedded mode)', () => {
    let now: number;
    let store: MemoryShortLivedStore;
    let markers: GrantMarkerTable;

    beforeEach(async () => {
      now = Date.now();
      store = new MemoryShortLivedStore(() => now);
      markers = new GrantMarkerTable(() => now);
      t = buildTokenServices(store, {}, { grantMarkers: markers });
      sid = await t.openSession();
    });

    afterEach(() => markers.close());

    it('should keep the marker in the table, not the store, and revoke on a reuse 30 min later (CX-01, CX-02)', async () => {
      const { code } = await issue();
      const hash = createHash('sha256').update(code).digest('base64url');
      const { access_token } = await t.exchange(code);
      await expect(store.get(`code-grant:${hash}`)).resolves.toBeNull();
      expect(markers.get(hash)).toEqual({ jti: decodeJwt(access_token).jti, tenantId });

      now += 1_829_000;
      await expect(t.exchange(code)).rejects.toMatchObject({ code: 'invalid_grant' });
      await expect(t.introspect(access_token)).resolves.toEqual({ active: false });
    });

    it('should keep in the store a marker the table cannot hold, and find it there', async () => {
      const codes = new CodeStore(store, markers);
      const grant = { tenantId: 'not-a-uuid', jti: randomUUID() };
      await store.put(`session:${grant.tenantId}:s`, '{}', 60);
      const saved = await codes.saveWhileSessionLives(
        'a-code',
        { ...grant, sessionId: 's', clientId: 'c', redirectUri: pluginUrl, scope: '' },
        30,
        grant,
        1830,
      );

      expect(saved).toBe(true);
      expect(markers.size).toBe(0);
      await expect(codes.grantOf(codes.keyOf('a-code'))).resolves.toEqual(grant);
    });
  });

  it('should give exactly one token to 64 concurrent exchanges of one code, then revoke it (CR-01)', async () => {
    const { code } = await issue();
    const results = await Promise.allSettled(Array.from({ length: 64 }, () => t.exchange(code)));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(
      results
        .filter((r) => r.status === 'rejected')
        .every((r) => (r.reason as { code: string }).code === 'invalid_grant'),
    ).toBe(true);
    const token = (won[0] as PromiseFulfilledResult<{ access_token: string }>).value.access_token;
    await expect(t.introspect(token)).resolves.toEqual({ active: false });
  });

  it('should throttle a client guessing codes, but not one whose issued code is reused or raced (CX-03, CR-01)', async () => {
    t = buildTokenServices(new MemoryShortLivedStore(), { sessionTtlSeconds: 3600, clientFailuresPerMinute: 3 });
    sid = await t.openSession();
    for (let trial = 0; trial < 3; trial++) {
      const { code } = await issue();
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => t.exchange(code)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      await expect(t.exchange(code)).rejects.toMatchObject({ code: 'invalid_grant' });
    }
    for (let guess = 0; guess < 3; guess++) {
      await expect(t.exchange(randomBytes(32).toString('base64url'))).rejects.toMatchObject({ code: 'invalid_grant' });
    }
    const { code } = await issue();
    await expect(t.exchange(code)).rejects.toMatchObject({ code: 'too_many_requests' });
  });

  it('should answer a throttled client 429 whatever its secret, without counting or burning anything', async () => {
    const store = new MemoryShortLivedStore();
    t = buildTokenServices(store, { sessionTtlSeconds: 3600, clientFailuresPerMinute: 2 });
    sid = await t.openSession();
    const { code } = await issue();
    for (let guess = 0; guess < 2; guess++) {
      await expect(t.exchange(randomBytes(32).toString('base64url'))).rejects.toMatchObject({ code: 'invalid_grant' });
    }

    await expect(t.exchange(code)).rejects.toMatchObject({ code: 'too_many_requests', retryAfter: 60 });
    await expect(
      t.exchanger.exchange({ tenantId, issuer, clientId: 'vendor-a', clientSecret: 'wrong', code }),
    ).rejects.toMatchObject({ code: 'too_many_requests' });
    await expect(store.get(`client-failures:${tenantId}:vendor-a`)).resolves.toBe('2');
    await expect(store.get(`code:${createHash('sha256').update(code).digest('base64url')}`)).resolves.not.toBeNull();
  });

  it('should answer a malformed verifier with invalid_request and keep the code', async () => {
    const verifier = randomBytes(40).toString('base64url');
    const { code } = await issue('vendor-a', { codeChallenge: s256(verifier), codeChallengeMethod: 'S256' });

    await expect(t.exchange(code, 'vendor-a', { codeVerifier: 'short' })).rejects.toMatchObject({
      code: 'invalid_request',
    });
    await expect(t.exchange(code, 'vendor-a', { codeVerifier: verifier })).resolves.toMatchObject({
      token_type: 'Bearer',
    });
  });

  it("should not let another vendor burn a vendor's code (CX-04)", async () => {
    const { code } = await issue();
    await expect(t.exchange(code, 'vendor-b')).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(t.exchange(code)).resolves.toEqual(expect.objectContaining({ token_type: 'Bearer' }));
  });

  it('should not burn the code on a failed client authentication (CX-05)', async () => {
    const { code } = await issue();
    await expect(
      t.exchanger.exchange({ tenantId, issuer, clientId: 'vendor-a', clientSecret: 'wrong', code }),
    ).rejects.toMatchObject({
      code: 'invalid_client',
    });
    await expect(
      t.exchanger.exchange({ tenantId, issuer, clientId: 'nobody', clientSecret: 'x', code }),
    ).rejects.toMatchObject({
      code: 'invalid_client',
    });
    await expect(t.exchange(code)).resolves.toEqual(expect.objectContaining({ token_type: 'Bearer' }));
  });

  it('should answer unknown, malformed and huge codes with the same invalid_grant (CX-03)', async () => {
    const errors = await Promise.all(
      ['x'.repeat(43), 'a%00b', '\u202e', 'z'.repeat(500)].map((code) => t.exchange(code).catch((e: unknown) => e)),
    );
    expect(new Set(errors.map((e) => JSON.stringify((e as { toBody(): unknown }).toBody()))).size).toBe(1);
  });

  it('should enforce the S256 challenge and refuse a verifier without one (CX-07)', async () => {
    const verifier = randomBytes(40).toString('base64url');
    const { code } = await issue('vendor-a', { codeChallenge: s256(verifier), codeChallengeMethod: 'S256' });
    await expect(t.exchange(code)).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(t.exchange(code, 'vendor-a', { codeVerifier: `${verifier}x` })).rejects.toMatchObject({
      code: 'invalid_grant',
    });
    await expect(t.exchange(code, 'vendor-a', { codeVerifier: verifier })).resolves.toEqual(
      expect.objectContaining({ token_type: 'Bearer' }),
    );

    const plain = await issue();
    await expect(t.exchange(plain.code, 'vendor-a', { codeVerifier: verifier })).rejects.toMatchObject({
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
    await expect(t.exchange(code, 'vendor-a', { redirectUri: pluginUrl })).rejects.toMatchObject({
      code: 'invalid_grant',
    });
  });

  it('should refuse a code whose session has ended, and kill tokens when the session ends', async () => {
    const first = await issue();
    const { access_token } = await t.exchange(first.code);
    const second = await issue();
    await t.sessions.end({ tenantId, sessionId: sid, reason: 'host_logout' });
    await expect(t.exchange(second.code)).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(t.introspect(access_token)).resolves.toEqual({ active: false });
    expect(t.bus.events.map((e) => e.subject)).toContain('session.logged_out');
  });

  it("should refuse revoking another vendor's token and keep it active (TK-07 d)", async () => {
    const { code } = await issue();
    const { access_token } = await t.exchange(code);
    await expect(
      t.status.revoke({ tenantId, issuer, clientId: 'vendor-b', clientSecret: 'vendor-b-secret', token: access_token }),
    ).rejects.toMatchObject({ code: 'unauthorized_client' });
    await expect(t.introspect(access_token)).resolves.toEqual(expect.objectContaining({ active: true }));
    await expect(t.introspect(access_token, 'vendor-b')).resolves.toEqual({ active: false });
    await expect(
      t.status.revoke({ tenantId, issuer, clientId: 'vendor-a', clientSecret: 'vendor-a-secret', token: access_token }),
    ).resolves.toEqual({ revoked: true });
    await expect(t.introspect(access_token)).resolves.toEqual({ active: false });
    await expect(
      t.status.revoke({ tenantId, issuer, clientId: 'vendor-a', clientSecret: 'vendor-a-secret', token: 'garbage' }),
    ).resolves.toEqual({ revoked: false });
  });
});
