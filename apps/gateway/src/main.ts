import 'reflect-metadata';
import type { NatsConnection } from '@nats-io/transport-node';
import { exitOnStartupFailure } from '#config';
import { createLogger } from '#observability';
import { boundOldGenerationGrowth, connectBus, connectRedis, exitGracefullyOnSignals, runApp } from '#runtime';
import { loadGatewayConfig } from './config/gateway.env.js';
import { GatewayModule } from './gateway.module.js';
import { GatewayOptions } from './gateway.options.js';
import { configureGateway } from './http/configure-gateway.js';

boundOldGenerationGrowth();

/**
 * Distributed mode: one gateway replica; run several behind a load balancer. They share no state of their own:
 * each keeps caches and a revocation set fed by events every replica hears, and reads what the token app writes
 * to the short-lived store (Redis).
 */
async function main(): Promise<void> {
  const config = loadGatewayConfig(process.env);
  const logger = createLogger('gateway', config.logLevel);
  const { bus, connection } = await connectBus(config.nats);
  const store = await connectRedis(config.redis);
  const running = await runApp({
    name: 'gateway',
    logger,
    bus,
    port: config.port,
    host: config.host,
    bodyLimit: config.bodyLimit,
    accessLog: true,
    module: GatewayModule.register({
      rpc: bus.client,
      store,
      options: new GatewayOptions(config.publicBaseUrl, 'distributed', config.demo),
      healthChecks: { nats: () => bus.check(), redis: () => store.ping() },
      onBusReconnect: (listener) => onReconnect(connection, listener),
    }),
    configure: (app) => configureGateway(app, config.publicBaseUrl),
  });
  logger.info({ port: running.port }, 'gateway ready');
  exitGracefullyOnSignals(
    async () => {
      await running.close();
      await bus.close();
      await store.close();
    },
    logger,
    config.shutdownTimeoutMs,
  );
}

/** Calls `listener` each time the NATS client reconnects (the status stream ends when the connection closes). */
function onReconnect(connection: NatsConnection, listener: () => void): void {
  void (async () => {
    for await (const status of connection.status()) if (status.type === 'reconnect') listener();
  })().catch(() => undefined);
}

main().catch((err: unknown) => exitOnStartupFailure(err, 'gateway'));
