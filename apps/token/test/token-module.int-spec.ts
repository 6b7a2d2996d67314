/**
 * The token app as the embedded launcher runs it: `TokenModule` started by `runApp` on the in-process bus, with
 * embedded PGlite files (migrated by the token migrations, outbox included), the in-memory store and
 * `InProcessDurableEvents` with a subscriber standing in for the webhooks dispatcher. Real: the module (its
 * handlers with payload validation, services, relay and sweeper). Fake: user-data's vendor lookup on the bus.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type { DataSource } from 'typeorm';
import { BACKCHANNEL_LOGOUT_EVENT, HandoverError, type DurableEvent, type GetVendorRequest } from '#contracts';
import { InProcessBroker, inProcessBusBinding, InProcessDurableEvents, type RpcClient } from '#messaging';
import { createLogger } from '#observability';
import { runApp, type RunningApp } from '#runtime';
import { SecretHasher } from '#security';
import { MemoryShortLivedStore, openDatabase } from '#storage';
import { sessionEventId } from '../src/events/session-events.js';
import { sessionHandle } from '../src/sessions/session-handle.js';
import { tokenDatabase } from '../src/token.database.js';
import { TokenModule } from '../src/token.module.js';
import { issuer, tenantId, vendor } from './token-fixture.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const user = { id: '22222222-2222-4222-8222-222222222222', login: 'demo', email: null, name: null };

async function eventually<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('TokenModule (embedded shape: PGlite, in-process bus, InProcessDurableEvents)', () => {
  const secretKey = randomBytes(32);
  const received: DurableEvent[] = [];
  const vendorLookups: Array<{ clientId: string; requestId: string }> = [];
  let dataDir: string;
  let database: DataSource;
  let store: MemoryShortLivedStore;
  let app: RunningApp;
  let client: RpcClient;

  const receivedEvent = (id: string) => eventually(`event ${id}`, () => received.find((e) => e.id === id));

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'handover-token-'));
    database = await openDatabase({ kind: 'pglite', dataDir }, tokenDatabase);
    store = new MemoryShortLivedStore();
    const broker = new InProcessBroker();
    const demoVendor = vendor('demo-vendor', new SecretHasher(secretKey));
    broker.handle('user-data.vendor.get', async (data, requestId) => {
      vendorLookups.push({ clientId: (data as GetVendorRequest).clientId, requestId });
      if ((data as GetVendorRequest).clientId !== demoVendor.clientId) {
        throw new HandoverError('not_found', 'no such vendor');
      }
      return demoVendor;
    });
    const events = new InProcessDurableEvents();
    await events.subscribe(async (batch) => void received.push(...batch));
    const bus = inProcessBusBinding(broker);
    app = await runApp({
      name: 'token',
      logger: createLogger('int-token', 'silent'),
      bus,
      module: TokenModule.register({
        rpc: bus.client,
        store,
        database,
        secretKey,
        healthChecks: {},
        events,
        policy: { sessionTtlSeconds: 1, sessionSweepIntervalMs: 50, outboxPollIntervalMs: 50 },
      }),
    });
    client = inProcessBusBinding(broker).client;
  });

  afterAll(async () => {
    await app?.close();
    await store?.close();
    await database?.destroy();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('should leave room in the outbox table for the relay lease updates to stay heap-only (fillfactor 70)', async () => {
    const rows: Array<{ reloptions: string[] | null }> = await database.query(
      `SELECT reloptions FROM pg_class WHERE oid = 'token.outbox'::regclass`,
    );
    expect(rows[0]?.reloptions).toEqual(['fillfactor=70']);
  });

  it('should announce a session created, handed to a vendor and logged out, by its handle', async () => {
    const { sessionId } = await client.request('token.session.create', { tenantId, user, authMethod: 'password' });
    const handle = sessionHandle(sessionId);
    await expect(client.request('token.session.get', { tenantId, sessionId })).resolves.toMatchObject({ sid: handle });
    await client.request('token.code.issue', { tenantId, sessionId, clientId: 'demo-vendor' });

    await expect(client.request('token.session.end', { tenantId, sessionId, reason: 'user_logout' })).resolves.toEqual({
      ended: true,
    });

    await expect(receivedEvent(sessionEventId(tenantId, handle, 'session.created'))).resolves.toMatchObject({
      data: { session_id: handle, sub: user.id, auth_method: 'password' },
    });
    await expect(receivedEvent(sessionEventId(tenantId, handle, 'session.logged_out'))).resolves.toMatchObject({
      vendors: ['demo-vendor'],
      data: { session_id: handle, sub: user.id, reason: 'user_logout' },
    });
    expect(JSON.stringify(received)).not.toContain(sessionId);
  });

  it('should announce an expired session (reason expired) through the running sweeper and relay', async () => {
    const { sessionId } = await client.request('token.session.create', { tenantId, user, authMethod: 'host' });
    await client.request('token.code.issue', { tenantId, sessionId, clientId: 'demo-vendor' });

    await expect(
      receivedEvent(sessionEventId(tenantId, sessionHandle(sessionId), 'session.logged_out')),
    ).resolves.toMatchObject({ vendors: ['demo-vendor'], data: { reason: 'expired' } });
  });

  it("should sign a back-channel logout token over the bus that verifies against the tenant's JWKS", async () => {
    const request = { tenantId, issuer, audience: 'demo-vendor', sub: user.id, sid: 'h'.repeat(43) };
    const { logoutToken } = await client.request('token.logout-token.sign', request);
    const jwks = await client.request('token.jwks.get', { tenantId });

    const { payload } = await jwtVerify(logoutToken, createLocalJWKSet(jwks as unknown as JSONWebKeySet), {
      typ: 'logout+jwt',
      issuer,
      audience: 'demo-vendor',
    });
    expect(payload).toMatchObject({ sub: user.id, sid: request.sid, events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } });
    expect(payload).not.toHaveProperty('nonce');
  });

  it("should pass the caller's request id on to the bus calls its handler makes", async () => {
    const request = { tenantId, issuer, clientId: 'unknown-vendor-7', clientSecret: 'x', token: 'not-a-token' };

    await expect(client.request('token.introspect', request, 'int-request-7')).rejects.toMatchObject({
      code: 'invalid_client',
    });

    expect(vendorLookups).toContainEqual({ clientId: 'unknown-vendor-7', requestId: 'int-request-7' });
  });

  it('should refuse a malformed logout-token request with invalid_request', async () => {
    await expect(
      client.request('token.logout-token.sign', {
        tenantId,
        issuer,
        audience: 'not a client id!',
        sub: user.id,
        sid: 'h'.repeat(43),
      }),
    ).rejects.toMatchObject({ code: 'invalid_request' });
  });
});
