// Jest loads its global setup and teardown as CommonJS through its own require hook, without moduleNameMapper,
// so a relative import such as './services.js' does not resolve to services.ts here. These two files therefore
// import nothing relative: the service definitions live in this file and services.ts re-exports them.
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import pg from 'pg';

/**
 * The machine's real services that integration and distributed end-to-end tests use. Each run gets its own
 * database, Redis key prefix and NATS subject prefix (see `globalSetup` below), so runs never collide.
 */
export const Services = {
  postgres: { host: '127.0.0.1', port: Number(process.env.TEST_PG_PORT ?? 5432), user: 'postgres' },
  redis: { url: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' },
  nats: { url: process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222' },
} as const;

export const START_COMMANDS = {
  postgres:
    'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start   (or: docker compose up -d postgres)',
  redis:
    'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no   (or: docker compose up -d redis)',
  nats: 'nats-server -a 127.0.0.1 -p 4222 -js   (or: docker compose up -d nats)',
} as const;

export type ServiceName = keyof typeof START_COMMANDS;

/** True when something accepts TCP connections at host:port within `timeoutMs`. */
export function isListening(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

/** Which of the machine's services answer. */
export async function probeServices(): Promise<Record<ServiceName, boolean>> {
  const redis = new URL(Services.redis.url);
  const nats = new URL(Services.nats.url);
  const [postgres, r, n] = await Promise.all([
    isListening(Services.postgres.host, Services.postgres.port),
    isListening(redis.hostname, Number(redis.port || 6379)),
    isListening(nats.hostname, Number(nats.port || 4222)),
  ]);
  return { postgres, redis: r, nats: n };
}

/** A fresh name for this run: `prefix_<12 hex>`, usable as a database, key prefix or subject token. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export function postgresUrl(database: string): string {
  return `postgres://${Services.postgres.user}@${Services.postgres.host}:${Services.postgres.port}/${database}`;
}

/**
 * Runs once per jest run of the integration and distributed e2e tiers: checks the machine's PostgreSQL, Redis
 * and NATS answer (fails naming the missing one and how to start it), then creates this run's database and
 * picks its key and subject prefixes. Test files read them with `currentTestRun()`.
 */
export default async function globalSetup(): Promise<void> {
  const up = await probeServices();
  const missing = (Object.keys(up) as Array<keyof typeof up>).filter((s) => !up[s]);
  if (missing.length > 0) {
    throw new Error(
      `these tiers need PostgreSQL, Redis and NATS; not reachable: ${missing.join(', ')}\n` +
        missing.map((s) => `  start ${s}: ${START_COMMANDS[s]}`).join('\n'),
    );
  }
  const databaseName = uniqueName('handover_test');
  const admin = new pg.Client({ connectionString: postgresUrl('postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${databaseName}`);
  } finally {
    await admin.end();
  }
  process.env.HANDOVER_TEST_ADMIN_DATABASE_URL = postgresUrl('postgres');
  process.env.HANDOVER_TEST_DATABASE_NAME = databaseName;
  process.env.HANDOVER_TEST_DATABASE_URL = postgresUrl(databaseName);
  process.env.HANDOVER_TEST_REDIS_URL = Services.redis.url;
  process.env.HANDOVER_TEST_REDIS_PREFIX = `${uniqueName('test')}:`;
  process.env.HANDOVER_TEST_NATS_URL = Services.nats.url;
  process.env.HANDOVER_TEST_SUBJECT_PREFIX = uniqueName('test');
}
