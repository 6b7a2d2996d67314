import 'reflect-metadata';
import { exitOnStartupFailure } from '#config';
import { createLogger } from '#observability';
import { boundOldGenerationGrowth, connectBus, exitGracefullyOnSignals, runApp } from '#runtime';
import { loadIdentityConfig } from './config/identity.env.js';
import { IdentityModule } from './identity.module.js';

boundOldGenerationGrowth();

/** Distributed mode: the identity app as its own process against NATS. */
async function main(): Promise<void> {
  const config = loadIdentityConfig(process.env);
  const logger = createLogger('identity', config.logLevel);
  const { bus } = await connectBus(config.nats);
  const running = await runApp({
    name: 'identity',
    logger,
    bus,
    port: config.opsPort,
    module: IdentityModule.register({ rpc: bus.client, healthChecks: { nats: () => bus.check() } }),
  });
  logger.info({ port: running.port }, 'identity app ready');
  exitGracefullyOnSignals(
    async () => {
      await running.close();
      await bus.close();
    },
    logger,
    config.shutdownTimeoutMs,
  );
}

main().catch((err: unknown) => exitOnStartupFailure(err, 'identity'));
