// What a benchmark starts: Handover distributed (five apps against the machine's NATS, Redis and PostgreSQL, with a
// database, subject prefix and key prefix of its own), Handover embedded (one process, a fresh data directory), and
// the peer (oidc-provider, bench/peer/). Each is stopped by PID; the database and the Redis keys are removed after.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { createClient } from 'redis';
import { childEnv, freePort, Managed, ROOT, waitFor200, type Env } from './proc.js';

export const SERVICES = {
  postgres: process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432',
  redis: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  nats: process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222',
};

export type AppName = 'gateway' | 'token' | 'identity' | 'user-data' | 'webhooks';
const BACK_ENDS: AppName[] = ['user-data', 'token', 'identity', 'webhooks'];

export interface Stack {
  mode: string;
  baseUrl: string;
  /** Every gateway replica (distributed), or the one base URL. */
  baseUrls?: string[];
  processes: Managed[];
  /** Root PIDs measured, by name (one per process; the peer's cluster is one tree). */
  groups: Record<string, number>;
  stop(): Promise<void>;
}

export interface PeerStack extends Stack {
  /** `POST /mint?n=` pre-mints codes through the peer's own models. */
  controlUrl: string;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${SERVICES.postgres}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Deletes every Redis key under `prefix` (SCAN + UNLINK; never FLUSH). */
async function deleteRedisPrefix(prefix: string): Promise<void> {
  const client = createClient({ url: SERVICES.redis });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      if (keys.length > 0) await client.unlink(keys);
    }
  } finally {
    client.destroy();
  }
}

/** Deletes the JetStream streams of a deployment prefix (the durable event stream `<PREFIX>_EVENTS`). */
async function deleteStreams(prefix: string): Promise<void> {
  const connection = await connect({ servers: SERVICES.nats, timeout: 2000 });
  try {
    const manager = await jetstreamManager(connection);
    for await (const stream of manager.streams.list())
      if (stream.config.name.toLowerCase().startsWith(prefix.toLowerCase()))
        await manager.streams.delete(stream.config.name);
  } finally {
    await connection.close();
  }
}

const warn = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

/**
 * Handover in distributed mode: a database of its own (`handover_bench_<hex>`), its own subject and Redis key
 * prefixes, every app started from dist/ and ready. `appEnv` adds variables per app (e.g. `{ token: {...} }`),
 * `nodeArgs` Node flags per app (e.g. `--cpu-prof`).
 */
export async function startDistributed({
  appEnv = {},
  nodeArgs = {},
  gatewayReplicas = 1,
}: {
  appEnv?: Partial<Record<AppName, Env>>;
  nodeArgs?: Partial<Record<AppName, string[]>>;
  gatewayReplicas?: number;
} = {}): Promise<Stack> {
  nodeArgs = withNodeArgsFromEnv(nodeArgs);
  const id = randomBytes(5).toString('hex');
  const database = `handover_bench_${id}`;
  await admin(`CREATE DATABASE ${database}`);
  const ports = await Promise.all(Array.from({ length: gatewayReplicas }, () => freePort()));
  const port = ports[0];
  const baseUrl = `http://127.0.0.1:${port}`;
  const redisPrefix = `bench_${id}:`;
  const shared = {
    LOG_LEVEL: 'warn',
    NATS_URL: SERVICES.nats,
    REDIS_URL: SERVICES.redis,
    DATABASE_URL: `${SERVICES.postgres}/${database}`,
    HANDOVER_SECRET_KEY: randomBytes(32).toString('base64url'),
    HANDOVER_SUBJECT_PREFIX: `bench_${id}`,
    HANDOVER_REDIS_PREFIX: redisPrefix,
    PUBLIC_BASE_URL: baseUrl,
  };
  const processes: Managed[] = [];
  const stop = async () => {
    // The gateway first, so nothing new reaches the back-ends while they drain.
    await Promise.all(processes.filter((p) => p.name.startsWith('gateway')).map((p) => p.stop()));
    await Promise.all(processes.map((p) => p.stop()));
    await deleteStreams(`bench_${id}`).catch((err: Error) =>
      warn(`could not delete streams bench_${id}*: ${err.message}`),
    );
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch((err: Error) =>
      warn(`could not drop ${database}: ${err.message}`),
    );
    await deleteRedisPrefix(redisPrefix).catch((err: Error) =>
      warn(`could not delete Redis keys ${redisPrefix}*: ${err.message}`),
    );
  };
  try {
    for (const app of BACK_ENDS) {
      const opsPort = await freePort();
      const env = childEnv({
        ...shared,
        OPS_PORT: opsPort,
        ...(app === 'user-data' ? { HANDOVER_DEMO: '1' } : {}),
        ...appEnv[app],
      });
      processes.push(new Managed(app, `dist/apps/${app}/src/main.js`, { env, port: opsPort, nodeArgs: nodeArgs[app] }));
    }
    ports.forEach((p, i) =>
      processes.push(
        new Managed(i === 0 ? 'gateway' : `gateway-${i + 1}`, 'dist/apps/gateway/src/main.js', {
          env: childEnv({ ...shared, PORT: p, HOST: '127.0.0.1', ...appEnv.gateway }),
          port: p,
          nodeArgs: nodeArgs.gateway,
        }),
      ),
    );
    await Promise.all(processes.map((p) => waitFor200(`${p.url}/health/ready`, processes)));
    // The demo tenant exists once user-data has migrated and seeded.
    await waitFor200(`${baseUrl}/t/demo/.well-known/oauth-authorization-server`, processes, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    mode: 'distributed',
    baseUrl,
    baseUrls: ports.map((p) => `http://127.0.0.1:${p}`),
    processes,
    groups: Object.fromEntries(processes.map((p) => [p.name, p.pid])),
    stop,
  };
}

/**
 * Adds Node flags from `BENCH_NODE_ARGS_<APP>` (e.g. `BENCH_NODE_ARGS_WEBHOOKS='--max-semi-space-size=8'`), for
 * trying a flag on one app in any distributed benchmark.
 */
function withNodeArgsFromEnv(nodeArgs: Partial<Record<AppName, string[]>>): Partial<Record<AppName, string[]>> {
  const apps: AppName[] = [...BACK_ENDS, 'gateway'];
  return Object.fromEntries(
    apps.map((app) => {
      const extra = process.env[`BENCH_NODE_ARGS_${app.toUpperCase().replace('-', '_')}`]?.split(/\s+/) ?? [];
      return [app, [...(nodeArgs[app] ?? []), ...extra.filter(Boolean)]];
    }),
  );
}

/** The Node options `npm start` gives the embedded launcher (package.json), so a bench runs it as users do. */
function startScriptNodeArgs(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const match = /^node((?: --\S+)*) dist\/launcher\/embedded\.js$/.exec(scripts.start);
  if (!match)
    throw new Error(`package.json's start is not "node [--options] dist/launcher/embedded.js": ${scripts.start}`);
  return match[1].split(' ').filter(Boolean);
}

/**
 * Handover embedded, with the Node options of `npm start`: one process with a data directory (PGlite): a fresh one,
 * removed by `stop()`, unless `dataDir` is given (then it is kept).
 */
export async function startEmbedded({
  env = {},
  nodeArgs = [],
  dataDir: given,
}: { env?: Env; nodeArgs?: string[]; dataDir?: string } = {}): Promise<Stack> {
  const port = await freePort();
  const dataDir = given ?? mkdtempSync(join(tmpdir(), 'handover-bench-'));
  const baseUrl = `http://127.0.0.1:${port}`;
  const p = new Managed('embedded', 'dist/launcher/embedded.js', {
    env: childEnv({
      LOG_LEVEL: 'warn',
      PORT: port,
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: baseUrl,
      HANDOVER_DATA_DIR: dataDir,
      HANDOVER_DEMO: '1',
      ...env,
    }),
    port,
    nodeArgs: [...startScriptNodeArgs(), ...nodeArgs],
  });
  const stop = async () => {
    await p.stop();
    if (given === undefined) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitFor200(`${baseUrl}/health/ready`, [p]);
    await waitFor200(`${baseUrl}/t/demo/.well-known/oauth-authorization-server`, [p], 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { mode: 'embedded', baseUrl, processes: [p], groups: { embedded: p.pid }, stop };
}

/**
 * The peer (bench/peer/server.ts): `memory` (one process, a large in-memory adapter) or `cluster` (two
 * node:cluster workers sharing a Redis adapter). Its control port pre-mints codes through its own models.
 * `consume: 'upstream'` (cluster) uses the upstream example adapter's non-atomic consume.
 */
export async function startPeer(
  config: 'memory' | 'cluster',
  { consume = 'atomic' }: { consume?: 'atomic' | 'upstream' } = {},
): Promise<PeerStack> {
  const port = await freePort();
  const controlPort = await freePort();
  const redisPrefix = `bench_peer_${randomBytes(5).toString('hex')}:`;
  const name = `peer-${config}`;
  const p = new Managed(name, 'dist/bench/peer/server.js', {
    env: childEnv({
      PEER_MODE: config,
      PORT: port,
      CONTROL_PORT: controlPort,
      REDIS_URL: SERVICES.redis,
      REDIS_PREFIX: redisPrefix,
      PEER_CONSUME: consume,
      NODE_ENV: 'production',
    }),
    port,
  });
  const stop = async () => {
    await p.stop();
    if (config === 'cluster') await deleteRedisPrefix(redisPrefix).catch(() => undefined);
  };
  try {
    await waitFor200(`http://127.0.0.1:${controlPort}/ready`, [p], 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    mode: name,
    baseUrl: `http://127.0.0.1:${port}`,
    controlUrl: `http://127.0.0.1:${controlPort}`,
    processes: [p],
    groups: { [name]: p.pid },
    stop,
  };
}
