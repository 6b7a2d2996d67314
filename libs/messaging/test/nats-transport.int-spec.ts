/**
 * The NATS transport end to end: two replicas of a test app (real Nest apps started by `runApp`, so with the
 * global ErrorFilter) serve `@HandleRequest`/`@HandleEvent` handlers on the machine's real NATS, under this
 * run's subject prefix, and callers use `NatsRpcClient`. Real: NATS, Nest, the error filter. Mocked: nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Inject, Module, type DynamicModule } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  HandoverError,
  type GetTenantRequest,
  type SessionLoggedOut,
  type TenantChanged,
  type TenantReply,
} from '#contracts';
import {
  BusContext,
  connectNats,
  HandleEvent,
  HandleRequest,
  HandoverNatsServer,
  natsBusBinding,
  type BusBinding,
  type NatsSettings,
  type RpcClient,
} from '#messaging';
import { createLogger } from '#observability';
import { runApp, type RunningApp } from '#runtime';
import { currentTestRun } from '#testing';

/** What one replica saw, so tests can tell which replica handled what. */
class ReplicaLog {
  readonly requests: string[] = [];
  readonly events: string[] = [];
  readonly eventRequestIds: string[] = [];

  constructor(readonly name: string) {}
}

const REPLICA = Symbol('REPLICA');

@Controller()
class TenantProbeController {
  constructor(@Inject(REPLICA) private readonly replica: ReplicaLog) {}

  /** Answers by slug: `missing` → not_found, `silent` → never answers, `crash` → an unexpected error. */
  @HandleRequest('user-data.tenant.get')
  async getTenant(request: GetTenantRequest, context: BusContext): Promise<TenantReply> {
    this.replica.requests.push(request.slug);
    if (request.slug === 'missing') throw new HandoverError('not_found', 'no tenant is called missing');
    if (request.slug === 'silent') return new Promise<never>(() => {});
    if (request.slug === 'crash') throw new Error('connection to db.internal:5432 refused (password hunter2)');
    return {
      id: this.replica.name,
      slug: request.slug,
      name: context.requestId,
      outboundNetwork: 'public',
    };
  }

  @HandleEvent('tenant.changed', { broadcast: true })
  onTenantChanged(event: TenantChanged, context: BusContext): void {
    this.replica.events.push(`tenant.changed:${event.slug}`);
    this.replica.eventRequestIds.push(context.requestId);
  }

  // Not broadcast here (whatever the catalogue says of this subject): it exercises queue-group delivery.
  @HandleEvent('session.logged_out')
  onSessionLoggedOut(event: SessionLoggedOut): void {
    this.replica.events.push(`session.logged_out:${event.sessionId}`);
  }
}

@Module({})
class ProbeAppModule {
  static for(replica: ReplicaLog): DynamicModule {
    return {
      module: ProbeAppModule,
      controllers: [TenantProbeController],
      providers: [{ provide: REPLICA, useValue: replica }],
    };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(10);
  }
}

/** Settles `attempt`, giving its error (or failing when it resolves) and how long it took. */
async function failureOf(attempt: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  try {
    await attempt();
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
  throw new Error('expected the call to fail');
}

describe(HandoverNatsServer.name, () => {
  const run = currentTestRun();
  const settings = (name: string, requestTimeoutMs = 2000): NatsSettings => ({
    url: run.natsUrl,
    subjectPrefix: run.subjectPrefix,
    requestTimeoutMs,
    name,
  });
  const logger = createLogger('int-test', 'silent');
  const replicas = [new ReplicaLog('replica-a'), new ReplicaLog('replica-b')];
  const apps: RunningApp[] = [];
  const buses: BusBinding[] = [];
  let sut: RpcClient;
  let hasty: RpcClient;

  const bus = async (name: string, requestTimeoutMs?: number): Promise<BusBinding> => {
    const s = settings(name, requestTimeoutMs);
    const connection: NatsConnection = await connectNats(s);
    const binding = natsBusBinding(connection, s);
    buses.push(binding);
    return binding;
  };

  const allEvents = () => replicas.flatMap((r) => r.events);

  beforeAll(async () => {
    for (const replica of replicas) {
      const replicaBus = await bus(`int-${replica.name}`);
      // Both replicas are the app `user-data`, so they share its queue group.
      apps.push(await runApp({ name: 'user-data', module: ProbeAppModule.for(replica), bus: replicaBus, logger }));
    }
    sut = (await bus('int-caller')).client;
    hasty = (await bus('int-hasty-caller', 300)).client;
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await Promise.all(buses.map((b) => b.close()));
  });

  describe('requests', () => {
    it("should bring the handler's reply back to the caller", async () => {
      const reply = await sut.request('user-data.tenant.get', { slug: 'demo' });

      expect(reply).toMatchObject({ slug: 'demo', id: expect.stringMatching(/^replica-[ab]$/) });
    });

    it("should run the handler with the caller's request id, or a fresh one", async () => {
      const named = sut.request('user-data.tenant.get', { slug: 'whoami' }, 'int-request-42');
      const unnamed = sut.request('user-data.tenant.get', { slug: 'whoami' });

      await expect(named).resolves.toMatchObject({ name: 'int-request-42', outboundNetwork: 'public' });
      await expect(unnamed).resolves.toMatchObject({ name: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    });

    it("should give the caller the handler's HandoverError with its code and description", async () => {
      const { error } = await failureOf(() => sut.request('user-data.tenant.get', { slug: 'missing' }));

      expect(error).toBeInstanceOf(HandoverError);
      expect(error).toMatchObject({ code: 'not_found', description: 'no tenant is called missing' });
    });

    it('should turn an unexpected handler error into temporarily_unavailable without its detail', async () => {
      const { error } = await failureOf(() => sut.request('user-data.tenant.get', { slug: 'crash' }));

      expect(error).toBeInstanceOf(HandoverError);
      expect(error).toMatchObject({
        code: 'temporarily_unavailable',
        description: expect.stringMatching(/^unexpected condition \(error id [0-9a-f-]{36}\)$/),
      });
      expect(String((error as HandoverError).message)).not.toContain('hunter2');
    });

    it.each([
      ['an unknown property', { slug: 'demo', tenantId: 'x' }, 'tenantId'],
      ['a wrong type', { slug: 42 }, 'slug'],
      ['a value the contract refuses', { slug: 'Not A Slug' }, 'slug'],
    ])('should answer a payload with %s with invalid_request naming the field', async (_case, payload, field) => {
      const seenBefore = replicas.flatMap((r) => r.requests).length;

      const { error } = await failureOf(() => sut.request('user-data.tenant.get', payload as GetTenantRequest));

      expect(error).toBeInstanceOf(HandoverError);
      expect(error).toMatchObject({ code: 'invalid_request', description: expect.stringContaining(field) });
      // Refused before the handler ran.
      expect(replicas.flatMap((r) => r.requests)).toHaveLength(seenBefore);
    });

    it('should share requests between the replicas of a queue group, each request answered once', async () => {
      const slugs = Array.from({ length: 40 }, (_, i) => `share-${i}`);

      // One request per event-loop turn, so each travels in a message of its own (see the batching test below).
      const replies = await Promise.all(
        slugs.map(async (slug, i) => {
          await new Promise((resolve) => setTimeout(resolve, i));
          return sut.request('user-data.tenant.get', { slug });
        }),
      );

      expect(replies.map((r) => r.slug)).toEqual(slugs);
      const handled = replicas.map((r) => r.requests.filter((s) => s.startsWith('share-')));
      expect(handled[0]!.length).toBeGreaterThan(0);
      expect(handled[1]!.length).toBeGreaterThan(0);
      expect(handled.flat().sort()).toEqual([...slugs].sort());
      // Each reply names the replica that handled its request, and that replica logged it.
      for (const reply of replies) {
        expect(replicas.find((r) => r.name === reply.id)?.requests).toContain(reply.slug);
      }
    });

    it('should carry the requests of one event-loop turn in few messages and answer each on its own', async () => {
      const observer = await connectNats(settings('int-observer'));
      const messages: number[] = [];
      const subject = `${run.subjectPrefix}.user-data.tenant.get`;
      const sub = observer.subscribe(subject, {
        callback: (err, msg) => {
          if (!err) messages.push((msg.json<{ batch: unknown[] }>().batch ?? []).length);
        },
      });
      await observer.flush();
      const slugs = Array.from({ length: 70 }, (_, i) => (i % 10 === 3 ? 'missing' : `burst-${i}`));

      const outcomes = await Promise.allSettled(slugs.map((slug) => sut.request('user-data.tenant.get', { slug })));

      sub.unsubscribe();
      await observer.close();
      // Batches of at most 32: 70 requests made in one turn travel in three messages, not seventy.
      expect(messages).toEqual([32, 32, 6]);
      outcomes.forEach((outcome, i) => {
        if (slugs[i] === 'missing') {
          expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'not_found' } });
        } else {
          expect(outcome).toMatchObject({ status: 'fulfilled', value: { slug: slugs[i] } });
        }
      });
    });

    it('should fail with temporarily_unavailable at once when nobody serves the subject', async () => {
      const { error, ms } = await failureOf(() => sut.request('token.jwks.get', { tenantId: randomUUID() }));

      expect(error).toBeInstanceOf(HandoverError);
      expect(error).toMatchObject({ code: 'temporarily_unavailable', retryAfter: 1 });
      expect(ms).toBeLessThan(2000);
    });

    it('should fail with temporarily_unavailable after requestTimeoutMs when the handler never answers', async () => {
      const { error, ms } = await failureOf(() => hasty.request('user-data.tenant.get', { slug: 'silent' }));

      expect(error).toBeInstanceOf(HandoverError);
      expect(error).toMatchObject({ code: 'temporarily_unavailable' });
      expect(ms).toBeGreaterThanOrEqual(250);
      expect(ms).toBeLessThan(2000);
    });
    it('should answer the rest of a batch at once when one of its requests never gets an answer', async () => {
      const started = performance.now();
      const [silent, answered] = [
        hasty.request('user-data.tenant.get', { slug: 'silent' }),
        hasty.request('user-data.tenant.get', { slug: 'beside-silent' }),
      ];

      await expect(answered).resolves.toMatchObject({ slug: 'beside-silent' });
      expect(performance.now() - started).toBeLessThan(250);
      await expect(silent).rejects.toMatchObject({ code: 'temporarily_unavailable' });
    });
  });

  describe('events', () => {
    it('should deliver a broadcast event to every replica', async () => {
      await sut.publish('tenant.changed', { tenantId: randomUUID(), slug: 'broadcast-1' }, 'int-event-7');

      await eventually(
        () => replicas.every((r) => r.events.includes('tenant.changed:broadcast-1')),
        'both replicas heard the broadcast',
      );
      expect(allEvents().filter((e) => e === 'tenant.changed:broadcast-1')).toHaveLength(2);
      for (const replica of replicas) expect(replica.eventRequestIds).toContain('int-event-7');
    });

    it('should deliver a queue-group event to exactly one replica', async () => {
      const sessionId = randomUUID();

      await sut.publish('session.logged_out', {
        tenantId: randomUUID(),
        sessionId,
        userId: 'user-1',
        reason: 'user_logout',
        endedAt: new Date().toISOString(),
      });
      await eventually(() => allEvents().includes(`session.logged_out:${sessionId}`), 'one replica heard it');
      // A broadcast sent after it reaches both replicas only after anything still in flight before it.
      await sut.publish('tenant.changed', { tenantId: randomUUID(), slug: 'barrier-1' });
      await eventually(
        () => replicas.every((r) => r.events.includes('tenant.changed:barrier-1')),
        'both replicas heard the barrier',
      );

      expect(allEvents().filter((e) => e === `session.logged_out:${sessionId}`)).toHaveLength(1);
    });

    it('should drop an event whose payload breaks its contract, and keep serving', async () => {
      await sut.publish('tenant.changed', { tenantId: 'not-a-uuid', slug: 'invalid-1' });
      await sut.publish('tenant.changed', { tenantId: randomUUID(), slug: 'after-invalid-1' });

      await eventually(
        () => replicas.every((r) => r.events.includes('tenant.changed:after-invalid-1')),
        'both replicas heard the valid event',
      );
      expect(allEvents().filter((e) => e === 'tenant.changed:invalid-1')).toHaveLength(0);
    });
  });
});
