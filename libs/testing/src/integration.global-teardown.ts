import pg from 'pg';
import { postgresUrl } from './services.js';

/** Drops the run's database (connections still open are terminated first). */
export default async function globalTeardown(): Promise<void> {
  const databaseName = process.env.HANDOVER_TEST_DATABASE_NAME;
  if (!databaseName || !/^handover_test_[0-9a-f]+$/.test(databaseName)) return;
  const admin = new pg.Client({ connectionString: postgresUrl('postgres') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
