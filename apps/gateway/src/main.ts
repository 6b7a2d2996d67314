import 'reflect-metadata';
import { exitOnStartupFailure } from '#config';
import { createLogger } from '#observability';
import { connectBus, exitGracefullyOnSignals, runApp } from '#runtime';
import { loadGatewayConfig } from './config/gateway.env.js';
import { GatewayModule } from './gateway.module.js';
import { GatewayOptions } from './gateway.options.js';
import { serveOpenApi } from './openapi.js';

/** Distributed mode: one gateway replica; run several behind a load balancer, they share no state. */
async function main(): Promise<void> {
  const config = loadGatewayConfig(process.env);
  const logger = createLogger('gateway', config.logLevel);
  const { bus } = await connectBus(config.nats);
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
      options: new GatewayOptions(config.publicBaseUrl, 'distributed'),
      healthChecks: { nats: () => bus.check() },
    }),
    configure: (app) => serveOpenApi(app, config.publicBaseUrl),
  });
  logger.info({ port: running.port }, 'gateway ready');
  exitGracefullyOnSignals(
    async () => {
      await running.close();
      await bus.close();
    },
    logger,
    config.shutdownTimeoutMs,
  );
}

main().catch((err: unknown) => exitOnStartupFailure(err, 'gateway'));
