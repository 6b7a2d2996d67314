import 'reflect-metadata';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { exitOnStartupFailure } from '#config';
import { InProcessBroker, inProcessBusBinding, InProcessDurableEvents } from '#messaging';
import { createLogger } from '#observability';
import { exitGracefullyOnSignals, runApp, type RunningApp } from '#runtime';
import { decodeSecretKey, randomToken, setEs256Execution } from '#security';
import { databaseCheck, MemoryShortLivedStore, openDatabase, type DatabaseTarget } from '#storage';
import { configureGateway, GatewayModule, GatewayOptions, publicBaseUrl } from '../apps/gateway/src/index.js';
import { IdentityModule } from '../apps/identity/src/index.js';
import { TokenModule, tokenDatabase } from '../apps/token/src/index.js';
import { UserDataModule, userDataDatabase } from '../apps/user-data/src/index.js';
import { WebhooksModule, webhooksDatabase } from '../apps/webhooks/src/index.js';
import { loadEmbeddedConfig } from './embedded.env.js';

/**
 * Embedded mode (`npm start`): the five apps in one process, meeting on an in-process bus, with an in-memory
 * short-lived store and an embedded PostgreSQL (PGlite) under the data directory, migrated by the same TypeORM
 * migrations as distributed mode. Needs no NATS, Redis or PostgreSQL, and never touches them.
 */
export async function startEmbedded(
  env: NodeJS.ProcessEnv,
): Promise<{ apps: RunningApp[]; port: number; stop(): Promise<void> }> {
  const config = loadEmbeddedConfig(env);
  // One event loop serves all five apps: signatures and verifications run beside it, on libuv's pool.
  setEs256Execution('thread-pool');
  const logger = createLogger('embedded', config.logLevel);
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const secretKey = decodeSecretKey(config.secretKey || persistentSecret(dataDir));

  const target: DatabaseTarget = { kind: 'pglite', dataDir: join(dataDir, 'pglite') };
  const userDataDb = await openDatabase(target, userDataDatabase);
  const tokenDb = await openDatabase(target, tokenDatabase);
  const webhooksDb = await openDatabase(target, webhooksDatabase);
  const store = new MemoryShortLivedStore();
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
  const gatewayBus = bus();
  const gateway = await start({
    name: 'gateway',
    logger,
    bus: gatewayBus,
    port: config.port,
    host: config.host,
    bodyLimit: config.bodyLimit,
    accessLog: true,
    module: GatewayModule.register({
      rpc: gatewayBus.client,
      // The same store instance the token app writes sessions and revocations to.
      store,
      options: new GatewayOptions(baseUrl, 'embedded', config.seedDemo),
      // Embedded readiness covers the whole process: the embedded database and the in-memory store.
      healthChecks: { database: databaseCheck(userDataDb), store: () => store.ping() },
    }),
    configure: (app) => configureGateway(app, baseUrl),
  });
  logger.info({ url: baseUrl, port: gateway.port, dataDir }, `Handover (embedded) is ready at ${baseUrl}`);

  return {
    apps,
    port: gateway.port ?? config.port,
    async stop() {
      for (const app of [...apps].reverse()) await app.close();
      await store.close();
      for (const db of [webhooksDb, tokenDb, userDataDb]) await db.destroy();
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
