import 'reflect-metadata';
import { exitOnStartupFailure } from '#config';
import { JetStreamDurableEvents } from '#messaging';
import { createLogger } from '#observability';
import {
  boundOldGenerationGrowth,
  connectBus,
  connectDatabase,
  connectRedis,
  exitGracefullyOnSignals,
  openJetStream,
  runApp,
} from '#runtime';
import { databaseCheck } from '#storage';
import { loadTokenConfig } from './config/token.env.js';
import { tokenDatabase } from './token.database.js';
import { TokenModule } from './token.module.js';

boundOldGenerationGrowth();

/** Distributed mode: the token app as its own process against NATS, Redis and PostgreSQL. */
async function main(): Promise<void> {
  const config = loadTokenConfig(process.env);
  const logger = createLogger('token', config.logLevel);
  const { bus, connection } = await connectBus(config.nats);
  const streams = await openJetStream(connection, config.nats.url);
  // Session events go to the durable stream through the outbox relay; the stream is made ready at start.
  const events = new JetStreamDurableEvents(streams, { subjectPrefix: config.nats.subjectPrefix, logger });
  await events.ensureStream();
  const store = await connectRedis(config.redis);
  const database = await connectDatabase(config.database.url, config.database.poolSize, tokenDatabase);
  const running = await runApp({
    name: 'token',
    logger,
    bus,
    port: config.opsPort,
    module: TokenModule.register({
      rpc: bus.client,
      store,
      database,
      secretKey: config.secretKey,
      events,
      policy: config.policy,
      healthChecks: {
        nats: () => bus.check(),
        jetstream: () => streams.check(),
        redis: () => store.ping(),
        database: databaseCheck(database),
      },
    }),
  });
  logger.info({ port: running.port }, 'token app ready');
  exitGracefullyOnSignals(
    async () => {
      await running.close();
      await bus.close();
      await store.close();
      await database.destroy();
    },
    logger,
    config.shutdownTimeoutMs,
  );
}

main().catch((err: unknown) => exitOnStartupFailure(err, 'token'));
