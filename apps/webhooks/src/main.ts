import 'reflect-metadata';
import { exitOnStartupFailure } from '#config';
import { JetStreamDurableEvents } from '#messaging';
import { createLogger } from '#observability';
import {
  boundOldGenerationGrowth,
  connectBus,
  connectDatabase,
  exitGracefullyOnSignals,
  openJetStream,
  runApp,
} from '#runtime';
import { databaseCheck } from '#storage';
import { loadWebhooksConfig } from './config/webhooks.env.js';
import { webhooksDatabase } from './webhooks.database.js';
import { WebhooksModule } from './webhooks.module.js';

boundOldGenerationGrowth();

/** Distributed mode: the webhooks app as its own process against NATS (with JetStream) and PostgreSQL. */
async function main(): Promise<void> {
  const config = loadWebhooksConfig(process.env);
  const logger = createLogger('webhooks', config.logLevel);
  const { bus, connection } = await connectBus(config.nats);
  const streams = await openJetStream(connection, config.nats.url);
  // The dispatcher reads the durable event stream with the shared durable consumer (replicas split the events).
  const events = new JetStreamDurableEvents(streams, { subjectPrefix: config.nats.subjectPrefix, logger });
  await events.ensureStream();
  const database = await connectDatabase(config.database.url, config.database.poolSize, webhooksDatabase);
  const running = await runApp({
    name: 'webhooks',
    logger,
    bus,
    port: config.opsPort,
    module: WebhooksModule.register({
      rpc: bus.client,
      database,
      secretKey: config.secretKey,
      events,
      publicBaseUrl: config.publicBaseUrl,
      policy: config.policy,
      demo: config.seedDemo ? { baseUrl: config.publicBaseUrl } : undefined,
      healthChecks: { nats: () => bus.check(), jetstream: () => streams.check(), database: databaseCheck(database) },
    }),
  });
  logger.info({ port: running.port }, 'webhooks app ready');
  exitGracefullyOnSignals(
    async () => {
      // Stops the subscription, drains in-flight deliveries (WEBHOOK_DRAIN_TIMEOUT_MS), then the bus.
      await running.close();
      await bus.close();
      await database.destroy();
    },
    logger,
    config.shutdownTimeoutMs,
  );
}

main().catch((err: unknown) => exitOnStartupFailure(err, 'webhooks'));
