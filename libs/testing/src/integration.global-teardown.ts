import pg from 'pg';

/**
 * Drops the run's database (connections still open are terminated first). Imports nothing relative: see the
 * note at the top of integration.global-setup.ts.
 */
export default async function globalTeardown(): Promise<void> {
  const databaseName = process.env.HANDOVER_TEST_DATABASE_NAME;
  const adminUrl = process.env.HANDOVER_TEST_ADMIN_DATABASE_URL;
  if (!adminUrl || !databaseName || !/^handover_test_[0-9a-f]+$/.test(databaseName)) return;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
