import { DataSource, type DataSourceOptions, type EntitySchema, type LoggerOptions, type MixedList } from 'typeorm';
import { pglitePoolClass } from './pglite-pool.js';

/** Where an app's durable data lives: the machine's PostgreSQL (distributed) or embedded PGlite files. */
export type DatabaseTarget = { kind: 'postgres'; url: string; poolSize: number } | { kind: 'pglite'; dataDir: string };

export interface AppDatabaseSpec {
  /** Owning app, e.g. `token`; names its schema and its migrations table. */
  app: string;
  /** PostgreSQL schema that holds the app's tables; each app owns exactly one. */
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
}

/**
 * Opens the app's DataSource and runs its migrations, the same TypeORM migrations in both modes. Each app keeps
 * its tables in its own schema and its own migrations table, so apps sharing one database never collide.
 */
export async function openDatabase(target: DatabaseTarget, spec: AppDatabaseSpec): Promise<DataSource> {
  const common = {
    type: 'postgres',
    schema: spec.schema,
    entities: spec.entities,
    migrations: spec.migrations,
    migrationsTableName: `${spec.schema}_migrations`,
    migrationsRun: false,
    synchronize: false,
    logging: ['error'] as LoggerOptions,
    applicationName: `handover-${spec.app}`,
  } as const;
  const options: DataSourceOptions =
    target.kind === 'postgres'
      ? {
          ...common,
          url: target.url,
          poolSize: target.poolSize,
          connectTimeoutMS: 3000,
          extra: { query_timeout: 5000 },
        }
      : {
          ...common,
          driver: { Pool: pglitePoolClass(target.dataDir) },
          uuidExtension: 'pgcrypto',
          installExtensions: false,
        };
  const dataSource = new DataSource(options);
  await dataSource.initialize();
  try {
    await migrate(dataSource, spec, target.kind === 'postgres');
  } catch (err) {
    await dataSource.destroy().catch(() => undefined);
    throw err;
  }
  return dataSource;
}

/**
 * Runs the app's migrations. Replicas starting together on a fresh database take turns: a session-level
 * advisory lock, held on its own connection, serialises them (PGlite is one process and needs none).
 */
async function migrate(dataSource: DataSource, spec: AppDatabaseSpec, lock: boolean): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    if (lock) await runner.query(`SELECT pg_advisory_lock(hashtext($1))`, [`handover-migrations:${spec.schema}`]);
    // The migrations table lives in the app's schema, which must exist before TypeORM looks for it.
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${spec.schema}"`);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    if (lock)
      await runner
        .query(`SELECT pg_advisory_unlock(hashtext($1))`, [`handover-migrations:${spec.schema}`])
        .catch(() => undefined);
    await runner.release();
  }
}

/** Readiness probe of a DataSource. */
export function databaseCheck(dataSource: DataSource): () => Promise<void> {
  return async () => {
    await dataSource.query('SELECT 1');
  };
}
