/**
 * `identity.password.verify` across the machine's real NATS: the real identity app (handler with validation,
 * error filter, service, real scrypt) asks `user-data.user.credentials` over the bus. Real: NATS, Nest, scrypt.
 * Stand-in: user-data, played by a small responder holding three users (apps do not import each other, and
 * user-data's side is proven by its own integration specs).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Inject, Module, type DynamicModule } from '@nestjs/common';
import {
  HandoverError,
  type GetUserCredentialsRequest,
  type RpcErrorBody,
  type UserCredentialsReply,
} from '#contracts';
import {
  connectNats,
  HandleRequest,
  natsBusBinding,
  type BusBinding,
  type NatsSettings,
  type RpcClient,
} from '#messaging';
import { createLogger } from '#observability';
import { runApp, type RunningApp } from '#runtime';
import { hashPassword } from '#security';
import { currentTestRun, uniqueName } from '#testing';
import { IdentityModule } from '../src/identity.module.js';

const tenantId = randomUUID();
const USERS = Symbol('USERS');

@Controller()
class CredentialsResponder {
  constructor(@Inject(USERS) private readonly users: Map<string, UserCredentialsReply>) {}

  @HandleRequest('user-data.user.credentials')
  credentials(request: GetUserCredentialsRequest): UserCredentialsReply {
    const found = request.tenantId === tenantId ? this.users.get(request.login) : undefined;
    if (!found) throw new HandoverError('not_found', 'no such user');
    return found;
  }
}

@Module({})
class UserDataStandIn {
  static with(users: Map<string, UserCredentialsReply>): DynamicModule {
    return {
      module: UserDataStandIn,
      controllers: [CredentialsResponder],
      providers: [{ provide: USERS, useValue: users }],
    };
  }
}

async function errorBodyOf(request: Promise<unknown>): Promise<RpcErrorBody> {
  try {
    await request;
  } catch (err) {
    if (err instanceof HandoverError) return err.toBody();
    throw err;
  }
  throw new Error('expected the request to fail');
}

describe(IdentityModule.name, () => {
  const run = currentTestRun();
  const subjectPrefix = uniqueName(run.subjectPrefix);
  const settings = (name: string): NatsSettings => ({ url: run.natsUrl, subjectPrefix, requestTimeoutMs: 3000, name });
  const logger = createLogger('int-identity', 'silent');
  const buses: BusBinding[] = [];
  const apps: RunningApp[] = [];
  let sut: RpcClient;
  let standIn: RunningApp;
  const dana = { id: randomUUID(), login: 'dana', email: 'dana@example.com', name: 'Dana' };

  const bus = async (name: string) => {
    const binding = natsBusBinding(await connectNats(settings(name)), settings(name));
    buses.push(binding);
    return binding;
  };

  beforeAll(async () => {
    const users = new Map<string, UserCredentialsReply>([
      ['dana', { user: dana, passwordHash: await hashPassword('correct horse') }],
      ['external', { user: { ...dana, id: randomUUID(), login: 'external' }, passwordHash: null }],
    ]);
    const identityBus = await bus('int-identity');
    apps.push(
      await runApp({
        name: 'identity',
        logger,
        bus: identityBus,
        module: IdentityModule.register({ rpc: identityBus.client, healthChecks: {} }),
      }),
    );
    standIn = await runApp({
      name: 'user-data',
      logger,
      bus: await bus('int-user-data'),
      module: UserDataStandIn.with(users),
    });
    apps.push(standIn);
    sut = (await bus('int-gateway')).client;
  }, 30_000);

  afterAll(async () => {
    for (const app of apps.reverse()) await app.close().catch(() => undefined);
    await Promise.all(buses.map((b) => b.close()));
  });

  describe('identity.password.verify', () => {
    it("should give the user's profile for the right password", async () => {
      await expect(
        sut.request('identity.password.verify', { tenantId, login: 'dana', password: 'correct horse' }),
      ).resolves.toEqual(dana);
    });

    it('should answer a wrong password, an unknown login, a user without a password and another tenant with one body', async () => {
      const attempts = [
        { tenantId, login: 'dana', password: 'correct horsE' },
        { tenantId, login: 'nobody', password: 'correct horse' },
        { tenantId, login: 'external', password: 'correct horse' },
        { tenantId: randomUUID(), login: 'dana', password: 'correct horse' },
      ];

      const bodies = await Promise.all(attempts.map((a) => errorBodyOf(sut.request('identity.password.verify', a))));

      for (const body of bodies) {
        expect(body).toEqual({ error: 'unauthorized', error_description: 'invalid login or password' });
      }
    });

    it('should refuse a payload the contract refuses with invalid_request', async () => {
      await expect(
        errorBodyOf(sut.request('identity.password.verify', { tenantId, login: 'dana', password: '' })),
      ).resolves.toMatchObject({ error: 'invalid_request' });
    });

    it('should answer temporarily_unavailable, not a login failure, when user-data does not answer', async () => {
      await standIn.close();
      apps.splice(apps.indexOf(standIn), 1);

      await expect(
        errorBodyOf(sut.request('identity.password.verify', { tenantId, login: 'dana', password: 'correct horse' })),
      ).resolves.toMatchObject({ error: 'temporarily_unavailable' });
    });
  });
});
