/**
 * Starts the real user-data app for integration specs, in either run mode's shape:
 *  - `postgres`: this run's PostgreSQL database, served over the machine's real NATS (a subject prefix of the
 *    spec's own, so no other spec's replicas share its queue group);
 *  - `pglite`: embedded PGlite files in a temporary directory, served over the in-process bus.
 * Nothing in the app is mocked: handlers (with their payload validation), the global error filter, services,
 * repositories, the banking connector and the migrations are the production ones.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { HandoverError, type RpcErrorBody } from '#contracts';
import {
  connectNats,
  InProcessBroker,
  inProcessBusBinding,
  natsBusBinding,
  type BusBinding,
  type RpcClient,
} from '#messaging';
import { createLogger } from '#observability';
import { runApp, type RunningApp } from '#runtime';
import { SecretHasher } from '#security';
import { openDatabase, type DatabaseTarget } from '#storage';
import { currentTestRun, uniqueName } from '#testing';
import { userDataDatabase } from '../src/user-data.database.js';
import { UserDataModule } from '../src/user-data.module.js';

export type TargetKind = DatabaseTarget['kind'];

export const TARGETS: ReadonlyArray<[string, TargetKind]> = [
  ['PostgreSQL over NATS (distributed)', 'postgres'],
  ['PGlite over the in-process bus (embedded)', 'pglite'],
];

export interface UserDataUnderTest {
  /** A caller's bus client, as the gateway, token or identity app would hold it. */
  client: RpcClient;
  database: DataSource;
  /** The app's own key hasher (same secret key), to store keys and secrets the app will recognise. */
  hasher: SecretHasher;
  secretKey: Buffer;
  close(): Promise<void>;
}

export async function startUserData(kind: TargetKind): Promise<UserDataUnderTest> {
  const secretKey = randomBytes(32);
  const cleanups: Array<() => Promise<void>> = [];
  try {
    let target: DatabaseTarget;
    let serverBus: BusBinding;
    let callerBus: BusBinding;
    if (kind === 'postgres') {
      const run = currentTestRun();
      target = { kind: 'postgres', url: run.databaseUrl, poolSize: 4 };
      const subjectPrefix = uniqueName(run.subjectPrefix);
      const settings = (name: string) => ({ url: run.natsUrl, subjectPrefix, requestTimeoutMs: 3000, name });
      serverBus = natsBusBinding(await connectNats(settings('int-user-data')), settings('int-user-data'));
      cleanups.push(() => serverBus.close());
      callerBus = natsBusBinding(await connectNats(settings('int-caller')), settings('int-caller'));
      cleanups.push(() => callerBus.close());
    } else {
      const dataDir = await mkdtemp(join(tmpdir(), 'handover-user-data-'));
      cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
      target = { kind: 'pglite', dataDir };
      const broker = new InProcessBroker();
      serverBus = inProcessBusBinding(broker);
      callerBus = inProcessBusBinding(broker);
    }
    const database = await openMigrated(target);
    cleanups.push(() => database.destroy());
    const app: RunningApp = await runApp({
      name: 'user-data',
      logger: createLogger('int-user-data', 'silent'),
      bus: serverBus,
      module: UserDataModule.register({ rpc: serverBus.client, database, secretKey, healthChecks: {} }),
    });
    cleanups.push(() => app.close());
    return {
      client: callerBus.client,
      database,
      hasher: new SecretHasher(secretKey),
      secretKey,
      close: () => closeAll(cleanups),
    };
  } catch (err) {
    await closeAll(cleanups);
    throw err;
  }
}

async function closeAll(cleanups: Array<() => Promise<void>>): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
}

/**
 * Spec files of this tier run in parallel and may open this run's database at the same moment. TypeORM takes no
 * lock around migrations, so when two migrate a fresh schema at once the second fails on the first's tables;
 * by the time it retries, the first has committed and nothing is left to run.
 */
async function openMigrated(target: DatabaseTarget): Promise<DataSource> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openDatabase(target, userDataDatabase);
    } catch (err) {
      if (target.kind !== 'postgres' || attempt >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
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
