import pg from 'pg';
import { postgresUrl, probeServices, Services, START_COMMANDS, uniqueName } from './services.js';

/**
 * Runs once per jest run of the integration and distributed e2e tiers: checks the machine's PostgreSQL, Redis
 * and NATS answer (fails naming the missing one and how to start it), then creates this run's database and
 * picks its key and subject prefixes. Test files read them with `currentTestRun()`.
 */
export default async function globalSetup(): Promise<void> {
  const up = await probeServices();
  const missing = (Object.keys(up) as Array<keyof typeof up>).filter((s) => !up[s]);
  if (missing.length > 0) {
    throw new Error(
      `these tiers need PostgreSQL, Redis and NATS; not reachable: ${missing.join(', ')}\n` +
        missing.map((s) => `  start ${s}: ${START_COMMANDS[s]}`).join('\n'),
    );
  }
  const databaseName = uniqueName('handover_test');
  const admin = new pg.Client({ connectionString: postgresUrl('postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${databaseName}`);
  } finally {
    await admin.end();
  }
  process.env.HANDOVER_TEST_DATABASE_NAME = databaseName;
  process.env.HANDOVER_TEST_DATABASE_URL = postgresUrl(databaseName);
  process.env.HANDOVER_TEST_REDIS_URL = Services.redis.url;
  process.env.HANDOVER_TEST_REDIS_PREFIX = `${uniqueName('test')}:`;
  process.env.HANDOVER_TEST_NATS_URL = Services.nats.url;
  process.env.HANDOVER_TEST_SUBJECT_PREFIX = uniqueName('test');
}
