/**
 * Starts the real webhooks app for integration specs: its own PostgreSQL database (or PGlite files: the embedded
 * shape), the in-process bus, and `InProcessDurableEvents` as the event source, the way embedded mode wires it.
 * Real: the whole webhooks app (handlers with validation, error filter, ingest, engine, recorder, SSRF-guarded
 * HTTP, migrations) and the database. Served by test handlers on the same bus: `user-data.tenant.get`,
 * `user-data.vendor.get` (from the tenants and vendors the spec registers) and `token.logout-token.sign` (a
 * real ES256 logout token, signed with jose).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import {
  BACKCHANNEL_LOGOUT_EVENT,
  HandoverError,
  LOGOUT_TOKEN_TTL_SECONDS,
  LOGOUT_TOKEN_TYPE,
  type CreatedEndpointReply,
  type CreateEndpointRequest,
  type DurableEvent,
  type EndpointDisabled,
  type MessageDetail,
  type OutboundNetwork,
  type RpcErrorBody,
  type SignLogoutTokenRequest,
  type WebhookEventType,
} from '#contracts';
import { InProcessBroker, inProcessBusBinding, InProcessDurableEvents, type RpcClient } from '#messaging';
import { createLogger } from '#observability';
import { runApp, type RunningApp } from '#runtime';
import type { HostResolver } from '#security';
import { openDatabase, type DatabaseTarget } from '#storage';
import { currentTestRun } from '#testing';
import { webhooksDatabase } from '../src/webhooks.database.js';
import { WebhooksModule } from '../src/webhooks.module.js';
import { WebhookPolicy } from '../src/webhooks.policy.js';

export const PUBLIC_BASE_URL = 'http://handover.test';

/** A policy for tests: retries in milliseconds, a short poll, and the lease covering the HTTP timeout. */
export function testPolicy(overrides: Partial<WebhookPolicy> = {}): WebhookPolicy {
  const httpTimeoutMs = overrides.httpTimeoutMs ?? 3_000;
  return {
    ...WebhookPolicy.defaults,
    retrySchedule: [100, 100, 100],
    pollIntervalMs: 25,
    httpTimeoutMs,
    leaseMs: httpTimeoutMs + 2_000,
    drainTimeoutMs: 1_000,
    ...overrides,
  };
}

export interface TestTenant {
  id: string;
  slug: string;
  vendors: string[];
}

export interface HarnessOptions {
  target?: DatabaseTarget['kind'];
  policy?: WebhookPolicy;
  /** Replaces DNS in the SSRF guard (names only; the receivers listen on 127.0.0.1 literals). */
  resolver?: HostResolver;
}

/** A second webhooks app on the same database and bus (another replica). */
export interface Replica {
  app: RunningApp;
  /** Stops it: in-flight deliveries drain for the policy's drain timeout, then are abandoned to their leases. */
  close(): Promise<void>;
}

export class WebhooksHarness {
  /** A caller's bus client, as the gateway's admin API holds it. */
  readonly client: RpcClient;
  /** The durable event source (the token app's relay in embedded mode). */
  readonly events = new InProcessDurableEvents();
  /** `webhooks.endpoint_disabled` events published by the dispatcher. */
  readonly disabledEvents: EndpointDisabled[] = [];
  /** Every `token.logout-token.sign` request served. */
  readonly logoutTokenRequests: SignLogoutTokenRequest[] = [];
  /** The outbound network policy `user-data.tenant.get` reports, per tenant slug (default `loopback`). */
  readonly outboundNetworks = new Map<string, OutboundNetwork>();
  logoutKey!: { publicJwk: JWK; kid: string };
  database!: DataSource;
  secretKey = randomBytes(32);
  private readonly broker = new InProcessBroker();
  private readonly tenants = new Map<string, TestTenant>();
  private readonly cleanups: Array<() => Promise<void>> = [];
  private app: RunningApp | undefined;
  private target: DatabaseTarget | undefined;

  private constructor(private readonly options: HarnessOptions) {
    this.client = inProcessBusBinding(this.broker).client;
  }

  static async start(options: HarnessOptions = {}): Promise<WebhooksHarness> {
    const harness = new WebhooksHarness(options);
    try {
      await harness.boot();
      return harness;
    } catch (err) {
      await harness.close();
      throw err;
    }
  }

  get policy(): WebhookPolicy {
    return this.options.policy ?? testPolicy();
  }

  private async boot(): Promise<void> {
    this.target = await this.createTarget(this.options.target ?? 'postgres');
    this.database = await openDatabase(this.target, webhooksDatabase);
    this.cleanups.push(() => this.database.destroy());
    await this.serveTestHandlers();
    this.app = await this.startApp(this.events);
    this.cleanups.push(() => this.app?.close() ?? Promise.resolve());
  }

  /** Another replica of the app on the same database (its own, idle event subscription). */
  async startReplica(policy?: WebhookPolicy): Promise<Replica> {
    if (!this.target) throw new Error('not started');
    const database = await openDatabase(this.target, webhooksDatabase);
    const app = await this.startApp(new InProcessDurableEvents(), database, policy);
    const close = async () => {
      await app.close();
      await database.destroy();
    };
    this.cleanups.push(close);
    return { app, close };
  }

  /** A provider of the main app (to observe or interpose on one of its parts). */
  get<T>(type: abstract new (...args: never[]) => T): T {
    if (!this.app) throw new Error('not started');
    return this.app.app.get(type);
  }

  /** Stops the main app without closing the database (a crashed or stopped replica). */
  async stopApp(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    await app?.close();
  }

  private async startApp(events: InProcessDurableEvents, database = this.database, policy = this.policy) {
    const bus = inProcessBusBinding(this.broker);
    return runApp({
      name: 'webhooks',
      logger: createLogger('int-webhooks', 'silent'),
      bus,
      module: WebhooksModule.register({
        rpc: bus.client,
        database,
        secretKey: this.secretKey,
        events,
        publicBaseUrl: PUBLIC_BASE_URL,
        policy,
        healthChecks: {},
        outboundResolver: this.options.resolver,
      }),
    });
  }

  async close(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  }

  /** A tenant with the given vendors, known to the test `user-data.*` handlers. */
  addTenant(vendors: string[] = ['vendor-a'], network: OutboundNetwork = 'loopback'): TestTenant {
    const tenant = { id: randomUUID(), slug: `t-${randomBytes(4).toString('hex')}`, vendors };
    this.tenants.set(tenant.slug, tenant);
    this.outboundNetworks.set(tenant.slug, network);
    return tenant;
  }

  createEndpoint(
    tenant: TestTenant,
    fields: Partial<Omit<CreateEndpointRequest, 'tenantId' | 'tenantSlug'>> & { url: string },
  ): Promise<CreatedEndpointReply> {
    return this.client.request('webhooks.endpoint.create', {
      tenantId: tenant.id,
      tenantSlug: tenant.slug,
      vendor: tenant.vendors[0] as string,
      kind: 'webhook',
      ...fields,
    });
  }

  /** Publishes events as the token app's outbox relay does; resolves once the dispatcher committed them. */
  publish(...events: DurableEvent[]): Promise<void> {
    return this.events.publish(events);
  }

  message(tenant: TestTenant, messageId: string): Promise<MessageDetail> {
    return this.client.request('webhooks.message.get', { tenantId: tenant.id, messageId });
  }

  /** Polls `read` until `done` holds (the engine works in the background). */
  async eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(value)}`);
      await sleep(25);
    }
  }

  private async createTarget(kind: DatabaseTarget['kind']): Promise<DatabaseTarget> {
    if (kind === 'pglite') {
      const dataDir = await mkdtemp(join(tmpdir(), 'handover-webhooks-'));
      this.cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
      return { kind: 'pglite', dataDir };
    }
    // A database of its own: the engines of parallel spec files must not claim each other's messages.
    const run = currentTestRun();
    const name = `${run.databaseName}_wh_${randomBytes(4).toString('hex')}`;
    const admin = async (sql: string) => {
      const client = new pg.Client({ connectionString: run.databaseUrl });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    };
    await admin(`CREATE DATABASE ${name}`);
    this.cleanups.push(() => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    const url = new URL(run.databaseUrl);
    url.pathname = `/${name}`;
    return { kind: 'postgres', url: url.toString(), poolSize: 8 };
  }

  private async serveTestHandlers(): Promise<void> {
    this.broker.handle('user-data.tenant.get', async (data) => {
      const { slug } = data as { slug: string };
      const tenant = this.tenants.get(slug);
      if (!tenant) throw new HandoverError('not_found', 'no such tenant');
      return { id: tenant.id, slug, name: slug, outboundNetwork: this.outboundNetworks.get(slug) ?? 'public' };
    });
    this.broker.handle('user-data.vendor.get', async (data) => {
      const { tenantId, clientId } = data as { tenantId: string; clientId: string };
      const tenant = [...this.tenants.values()].find((t) => t.id === tenantId);
      if (!tenant?.vendors.includes(clientId)) throw new HandoverError('not_found', 'no such vendor');
      return { tenantId, clientId };
    });
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const kid = randomBytes(8).toString('hex');
    this.logoutKey = { publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' }, kid };
    this.broker.handle('token.logout-token.sign', async (data) => {
      const request = data as SignLogoutTokenRequest;
      this.logoutTokenRequests.push(request);
      const now = Math.floor(Date.now() / 1000);
      const logoutToken = await new SignJWT({ events: { [BACKCHANNEL_LOGOUT_EVENT]: {} }, sid: request.sid })
        .setProtectedHeader({ alg: 'ES256', typ: LOGOUT_TOKEN_TYPE, kid })
        .setIssuer(request.issuer)
        .setAudience(request.audience)
        .setSubject(request.sub)
        .setIssuedAt(now)
        .setExpirationTime(now + LOGOUT_TOKEN_TTL_SECONDS)
        .setJti(randomUUID())
        .sign(privateKey);
      return { logoutToken };
    });
    this.broker.subscribe('webhooks.endpoint_disabled', undefined, async (data) => {
      this.disabledEvents.push(data as EndpointDisabled);
    });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A durable event as the token app writes it to its outbox. */
export function durableEvent<T extends WebhookEventType = 'session.logged_out'>(
  tenant: TestTenant,
  overrides: Partial<DurableEvent<T>> = {},
): DurableEvent<T> {
  return {
    id: `evt_${randomBytes(24).toString('base64url')}`,
    type: 'session.logged_out' as T,
    tenantId: tenant.id,
    occurredAt: new Date().toISOString(),
    data: { session_id: `sid-${randomBytes(6).toString('hex')}`, sub: 'user-1', reason: 'user_logout' } as never,
    ...overrides,
  };
}

/** The wire body of the error a request failed with; fails the test when the request succeeds. */
export async function errorBodyOf(request: Promise<unknown>): Promise<RpcErrorBody> {
  try {
    await request;
  } catch (err) {
    if (err instanceof HandoverError) return err.toBody();
    throw err;
  }
  throw new Error('expected the request to fail');
}
