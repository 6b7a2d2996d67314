import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';

/**
 * Drops the run's database (connections still open are terminated first) and deletes the JetStream streams the
 * run's stacks created (their names start with the run's subject prefix). Imports nothing relative: see the
 * note at the top of integration.global-setup.ts.
 */
export default async function globalTeardown(): Promise<void> {
  await Promise.all([dropDatabase(), deleteStreams()]);
}

async function dropDatabase(): Promise<void> {
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

async function deleteStreams(): Promise<void> {
  const prefix = process.env.HANDOVER_TEST_SUBJECT_PREFIX?.toLowerCase();
  const url = process.env.HANDOVER_TEST_NATS_URL;
  if (!prefix || !url || !/^test_[0-9a-f]+$/.test(prefix)) return;
  const connection = await connect({ servers: url, timeout: 2000 }).catch(() => undefined);
  if (!connection) return;
  try {
    const manager = await jetstreamManager(connection);
    for await (const stream of manager.streams.list()) {
      if (stream.config.name.toLowerCase().startsWith(prefix)) await manager.streams.delete(stream.config.name);
    }
  } catch {
    // A run without JetStream streams, or a NATS without JetStream: nothing to delete.
  } finally {
    await connection.close();
  }
}
