import 'reflect-metadata';
import { exitOnStartupFailure } from '#config';
import { createLogger } from '#observability';
import { boundOldGenerationGrowth, connectBus, connectDatabase, exitGracefullyOnSignals, runApp } from '#runtime';
import { databaseCheck } from '#storage';
import { loadUserDataConfig } from './config/user-data.env.js';
import { userDataDatabase } from './user-data.database.js';
import { UserDataModule } from './user-data.module.js';

boundOldGenerationGrowth();

/** Distributed mode: the user-data app as its own process against NATS and PostgreSQL. */
async function main(): Promise<void> {
  const config = loadUserDataConfig(process.env);
  const logger = createLogger('user-data', config.logLevel);
  const { bus } = await connectBus(config.nats);
  const database = await connectDatabase(config.database.url, config.database.poolSize, userDataDatabase);
  const running = await runApp({
    name: 'user-data',
    logger,
    bus,
    port: config.opsPort,
    module: UserDataModule.register({
      rpc: bus.client,
      database,
      secretKey: config.secretKey,
      healthChecks: { nats: () => bus.check(), database: databaseCheck(database) },
      demo: config.seedDemo ? { baseUrl: config.publicBaseUrl } : undefined,
    }),
  });
  logger.info({ port: running.port }, 'user-data app ready');
  exitGracefullyOnSignals(
    async () => {
      await running.close();
      await bus.close();
      await database.destroy();
    },
    logger,
    config.shutdownTimeoutMs,
  );
}

main().catch((err: unknown) => exitOnStartupFailure(err, 'user-data'));
