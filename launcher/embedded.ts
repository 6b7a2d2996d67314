import 'reflect-metadata';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { exitOnStartupFailure, publicBaseUrl } from '#config';
import { InProcessBroker, inProcessBusBinding, InProcessDurableEvents, serveBroker, ThreadPeer } from '#messaging';
import { createLogger, metricsSnapshot, type Logger } from '#observability';
import { boundOldGenerationGrowth, exitGracefullyOnSignals, runApp, type RunningApp } from '#runtime';
import { decodeSecretKey, randomToken, setEs256Execution } from '#security';
import {
  databaseCheck,
  MemoryShortLivedStore,
  openDatabase,
  serveStore,
  type DatabaseTarget,
  type ShortLivedStore,
} from '#storage';
import { IdentityModule } from '../apps/identity/src/index.js';
import { GrantMarkerTable, TokenModule, tokenDatabase } from '../apps/token/src/index.js';
import { UserDataModule, userDataDatabase } from '../apps/user-data/src/index.js';
import { WebhooksModule, webhooksDatabase } from '../apps/webhooks/src/index.js';
import type { GatewaySettings, GatewayThreadData, GatewayThreadMessage } from './embedded-gateway.js';
import { loadEmbeddedConfig } from './embedded.env.js';

boundOldGenerationGrowth();

/** The gateway thread's young generation: V8's default (3 × 16 MB semi-spaces) would add ~30 MB of RSS. */
const GATEWAY_THREAD_YOUNG_GENERATION_MB = 16;

/**
 * Embedded mode (`npm start`): the five apps in one process, meeting on an in-process bus, with an in-memory
 * short-lived store and an embedded PostgreSQL (PGlite) under the data directory, migrated by the same TypeORM
 * migrations as distributed mode. Needs no NATS, Redis or PostgreSQL, and never touches them.
 *
 * By default the gateway runs on a worker thread (embedded-gateway.ts) beside the event loop of the other four:
 * ~50 % more exchanges/s on two cores than one event loop for all five (`HANDOVER_GATEWAY_THREAD=0`), for ~130 MB
 * more memory under load (bench/README.md).
 */
export async function startEmbedded(env: NodeJS.ProcessEnv): Promise<{ port: number; stop(): Promise<void> }> {
  const config = loadEmbeddedConfig(env);
  // With one event loop for everything, signatures run beside it on libuv's pool (more CPU, but off the loop);
  // with the gateway on its own thread, both threads do their ES256 inline, the cheaper way.
  setEs256Execution(config.gatewayThread ? 'inline' : 'thread-pool');
  const logger = createLogger('embedded', config.logLevel);
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const secretKey = decodeSecretKey(config.secretKey || persistentSecret(dataDir));

  const target: DatabaseTarget = { kind: 'pglite', dataDir: join(dataDir, 'pglite') };
  const userDataDb = await openDatabase(target, userDataDatabase);
  const tokenDb = await openDatabase(target, tokenDatabase);
  const webhooksDb = await openDatabase(target, webhooksDatabase);
  const store = new MemoryShortLivedStore();
  const grantMarkers = new GrantMarkerTable();
  const broker = new InProcessBroker();
  // The durable event stream of embedded mode: the token app's outbox relay hands events to the in-process
  // dispatcher, which acknowledges once they are in its own tables (the embedded database).
  const durableEvents = new InProcessDurableEvents();
  const bus = () => inProcessBusBinding(broker);
  const baseUrl = publicBaseUrl(config.publicBaseUrl, config.port);

  const apps: RunningApp[] = [];
  const start = async (spec: Parameters<typeof runApp>[0]) => {
    apps.push(await runApp(spec));
    return apps[apps.length - 1];
  };
  const userDataBus = bus();
  await start({
    name: 'user-data',
    logger,
    bus: userDataBus,
    module: UserDataModule.register({
      rpc: userDataBus.client,
      database: userDataDb,
      secretKey,
      healthChecks: { database: databaseCheck(userDataDb) },
      demo: config.seedDemo ? { baseUrl } : undefined,
    }),
  });
  const tokenBus = bus();
  await start({
    name: 'token',
    logger,
    bus: tokenBus,
    module: TokenModule.register({
      rpc: tokenBus.client,
      store,
      database: tokenDb,
      secretKey,
      events: durableEvents,
      grantMarkers,
      healthChecks: { database: databaseCheck(tokenDb), store: () => store.ping() },
    }),
  });
  const identityBus = bus();
  await start({
    name: 'identity',
    logger,
    bus: identityBus,
    module: IdentityModule.register({ rpc: identityBus.client, healthChecks: {} }),
  });
  const webhooksBus = bus();
  await start({
    name: 'webhooks',
    logger,
    bus: webhooksBus,
    module: WebhooksModule.register({
      rpc: webhooksBus.client,
      database: webhooksDb,
      secretKey,
      events: durableEvents,
      publicBaseUrl: baseUrl,
      policy: config.webhookPolicy,
      healthChecks: { database: databaseCheck(webhooksDb) },
      demo: config.seedDemo ? { baseUrl } : undefined,
    }),
  });
  const gatewaySettings: GatewaySettings = {
    port: config.port,
    host: config.host,
    bodyLimit: config.bodyLimit,
    baseUrl,
    seedDemo: config.seedDemo,
    logLevel: config.logLevel,
  };
  const fromThisThread = { broker, store, databaseCheck: databaseCheck(userDataDb) };
  const gateway = config.gatewayThread
    ? await startGatewayThread(gatewaySettings, fromThisThread, (reason) => {
        // The process's HTTP edge is gone: exit, so a supervisor restarts the whole deployment.
        logger.fatal({ reason }, 'the gateway thread stopped unexpectedly');
        process.exit(1);
      })
    : await startGatewayHere(gatewaySettings, fromThisThread, logger);
  logger.info({ url: baseUrl, port: gateway.port, dataDir }, `Handover (embedded) is ready at ${baseUrl}`);

  return {
    port: gateway.port,
    async stop() {
      await gateway.stop(config.shutdownTimeoutMs);
      for (const app of [...apps].reverse()) await app.close();
      await store.close();
      grantMarkers.close();
      for (const db of [webhooksDb, tokenDb, userDataDb]) await db.destroy();
    },
  };
}

interface FromThisThread {
  broker: InProcessBroker;
  store: ShortLivedStore;
  databaseCheck: () => Promise<void>;
}

interface RunningGateway {
  port: number;
  stop(timeoutMs: number): Promise<void>;
}

/** The gateway on this thread's event loop, beside the other four apps. */
async function startGatewayHere(
  settings: GatewaySettings,
  { broker, store, databaseCheck }: FromThisThread,
  logger: Logger,
): Promise<RunningGateway> {
  // Loaded here, not at the top: with HANDOVER_GATEWAY_THREAD=1 only the gateway thread loads the gateway.
  const { runEmbeddedGateway } = await import('./embedded-gateway.js');
  const gateway = await runEmbeddedGateway(
    settings,
    { bus: inProcessBusBinding(broker), store, databaseCheck },
    logger,
  );
  return { port: gateway.port ?? settings.port, stop: () => gateway.close() };
}

/**
 * Starts the gateway on a worker thread (embedded-gateway.ts) and serves it, over a `ThreadPeer`, what it needs
 * from this thread: the bus, the in-memory store (the same instance the token app writes sessions and revocations
 * to), the database readiness check and this thread's metrics. Resolves once it listens; a failure to start
 * rejects with the thread's error. `onLost` is called if the thread ends without being asked to.
 */
async function startGatewayThread(
  settings: GatewaySettings,
  served: FromThisThread,
  onLost: (reason: string) => void,
): Promise<RunningGateway> {
  const { port1: bridge, port2: remoteEnd } = new MessageChannel();
  const peer = new ThreadPeer(bridge);
  const stopServingBus = serveBroker(served.broker, peer);
  peer.serve('store', serveStore(served.store));
  peer.serve('health.database', served.databaseCheck);
  peer.serve('metrics', metricsSnapshot);
  const worker = new Worker(new URL('./embedded-gateway.js', import.meta.url), {
    workerData: { ...settings, bridge: remoteEnd } satisfies GatewayThreadData,
    transferList: [remoteEnd],
    resourceLimits: { maxYoungGenerationSizeMb: GATEWAY_THREAD_YOUNG_GENERATION_MB },
  });
  let stopping = false;
  const release = () => {
    stopServingBus();
    peer.close();
  };

  const port = await new Promise<number>((resolve, reject) => {
    const fail = (err: unknown) => {
      release();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    worker.once('error', fail);
    worker.once('exit', (code) => fail(new Error(`the gateway thread exited with code ${code} before listening`)));
    worker.once('message', (message: GatewayThreadMessage) => {
      if (!('ready' in message)) return fail(new Error('the gateway thread answered before listening'));
      worker.removeAllListeners('error').removeAllListeners('exit');
      worker.on('error', (err) => onLost(err.message));
      worker.on('exit', (code) => {
        release();
        if (!stopping) onLost(`exit code ${code}`);
      });
      resolve(message.ready);
    });
  });

  return {
    port,
    async stop(timeoutMs) {
      stopping = true;
      // The thread closes its server (in-flight requests finish) and says so; then, or past the deadline, it ends.
      const closed = new Promise<void>((resolve) => {
        worker.on('message', (message: GatewayThreadMessage) => 'stopped' in message && resolve());
        worker.once('exit', () => resolve());
        setTimeout(resolve, timeoutMs).unref();
      });
      worker.postMessage('stop');
      await closed;
      await worker.terminate();
    },
  };
}

/** The embedded secret key (pepper for key hashes, key for sealed secrets), created once with mode 0600. */
function persistentSecret(dataDir: string): string {
  const file = join(dataDir, 'secret.key');
  if (!existsSync(file)) writeFileSync(file, `${randomToken(32)}\n`, { mode: 0o600, flag: 'wx' });
  return readFileSync(file, 'utf8').trim();
}

const isEntryPoint = process.argv[1] && resolve(process.argv[1]) === new URL(import.meta.url).pathname;
if (isEntryPoint) {
  startEmbedded(process.env).then(
    (running) => {
      const config = loadEmbeddedConfig(process.env);
      exitGracefullyOnSignals(
        () => running.stop(),
        createLogger('embedded', config.logLevel),
        config.shutdownTimeoutMs,
      );
    },
    (err: unknown) => exitOnStartupFailure(err, 'embedded'),
  );
}
