import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitOnStartupFailure, reachOrFail } from '#config';
import { loadDistributedLauncherConfig } from './distributed.env.js';

/**
 * Distributed mode (`npm run start:distributed`): each app as its own process, configured from the
 * environment (NATS_URL, REDIS_URL, DATABASE_URL, HANDOVER_SECRET_KEY, ...). Each app validates its own
 * configuration and checks its services at start; if any app fails to start, the others are stopped and the
 * launcher exits non-zero. There is no fallback to embedded mode.
 */
const APPS = ['user-data', 'token', 'identity', 'webhooks'] as const;
const here = dirname(fileURLToPath(import.meta.url));

async function main(): Promise<void> {
  const config = loadDistributedLauncherConfig(process.env);
  // Five Node processes take seconds to load on a small machine before each finds its NATS unreachable; a
  // TCP check first names an unreachable service at once. Each app still validates and connects on its own.
  await Promise.all(
    config.services.map((s) =>
      reachOrFail(s.name, s.variable, s.url, () => acceptsConnections(s.url, s.defaultPort), 3000),
    ),
  );
  const children: ChildProcess[] = [];
  let stopping = false;

  const stopAll = (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    let remaining = children.filter((c) => c.exitCode === null).length;
    if (remaining === 0) process.exit(code);
    for (const child of children)
      child.once('exit', () => {
        if (--remaining === 0) process.exit(code);
      });
    setTimeout(() => process.exit(code), 15_000).unref();
  };

  const launch = (app: string, extraEnv: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [join(here, '..', 'apps', app, 'src', 'main.js')], {
      env: { ...process.env, ...extraEnv },
      stdio: 'inherit',
    });
    child.once('exit', (code, signal) => {
      if (stopping) return;
      process.stderr.write(`handover: ${app} exited (${signal ?? `code ${code}`}); stopping the others\n`);
      stopAll(code === 0 ? 1 : (code ?? 1));
    });
    children.push(child);
  };

  for (const app of APPS) launch(app);
  for (let i = 0; i < config.gatewayReplicas; i++) launch('gateway', { PORT: String(config.port + i) });

  process.once('SIGTERM', () => stopAll(0));
  process.once('SIGINT', () => stopAll(0));
}

/** Resolves when `url`'s host accepts a TCP connection; a value that is not a URL is left to the app to report. */
function acceptsConnections(url: string, defaultPort: number): Promise<void> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve();
  }
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(target.port || defaultPort);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', (err) => {
      socket.destroy();
      reject(err);
    });
  });
}

main().catch((err: unknown) => exitOnStartupFailure(err, 'launcher'));
