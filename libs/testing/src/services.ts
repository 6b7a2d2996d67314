import { randomBytes } from 'node:crypto';
import { createServer, Socket } from 'node:net';

/**
 * The machine's real services that integration and distributed end-to-end tests use. Each run gets its own
 * database, Redis key prefix and NATS subject prefix (see integration.global-setup.ts), so runs never collide.
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

/** A TCP port nobody listens on right now (for servers the tests start). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A port that refuses connections (for "service unreachable" tests): a free port nobody will bind. */
export const closedPort = freePort;

export function postgresUrl(database: string): string {
  return `postgres://${Services.postgres.user}@${Services.postgres.host}:${Services.postgres.port}/${database}`;
}
