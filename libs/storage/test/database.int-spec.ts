/**
 * openDatabase against the machine's real PostgreSQL (this run's database) and against embedded PGlite files in a
 * temporary directory, with a migration and an entity of the test's own. Nothing is mocked.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Column,
  Entity,
  PrimaryGeneratedColumn,
  type DataSource,
  type MigrationInterface,
  type QueryRunner,
} from 'typeorm';
import { databaseCheck, openDatabase, type AppDatabaseSpec, type DatabaseTarget } from '#storage';
import { currentTestRun } from '#testing';

const SCHEMA = 'int_test';

@Entity({ name: 'notes' })
class Note {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  body: string;

  @Column({ type: 'integer', default: 0 })
  version: number;
}

/** How often the migration's `up` ran in this process, per target. */
const migrationRuns = new Map<string, number>();

class CreateNotes1700000000000 implements MigrationInterface {
  name = 'CreateNotes1700000000000';

  async up(runner: QueryRunner): Promise<void> {
    const key = (runner.connection.options as { applicationName?: string }).applicationName ?? '';
    migrationRuns.set(key, (migrationRuns.get(key) ?? 0) + 1);
    await runner.query(
      `CREATE TABLE "${SCHEMA}"."notes" (
         "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
         "body" text NOT NULL,
         "version" integer NOT NULL DEFAULT 0
       )`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE "${SCHEMA}"."notes"`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function specFor(app: string): AppDatabaseSpec {
  return { app, schema: SCHEMA, entities: [Note], migrations: [CreateNotes1700000000000] };
}

async function appliedMigrations(dataSource: DataSource): Promise<string[]> {
  const rows: Array<{ name: string }> = await dataSource.query(`SELECT name FROM "${SCHEMA}"."${SCHEMA}_migrations"`);
  return rows.map((r) => r.name);
}

interface OpenTarget {
  /** The DataSource the target's tests share. */
  sut(): DataSource;
  /** Destroys it and opens the same target again. */
  reopen(): Promise<DataSource>;
}

/**
 * Behaviour both targets share (migrations once, CRUD, transactions), then the target's own tests (`extras`).
 * PGlite's start-up costs about a second, so each target's tests share one DataSource.
 */
function describeTarget(
  kind: DatabaseTarget['kind'],
  target: () => DatabaseTarget,
  app: string,
  extras: (open: OpenTarget) => void = () => {},
) {
  describe(`on ${kind}`, () => {
    let sut: DataSource;

    beforeAll(async () => {
      sut = await openDatabase(target(), specFor(app));
    });

    afterAll(async () => {
      await sut?.destroy();
    });

    it("should run the app's migrations into its own schema and migrations table", async () => {
      await expect(appliedMigrations(sut)).resolves.toEqual(['CreateNotes1700000000000']);
      await expect(
        sut.query(`SELECT table_schema FROM information_schema.tables WHERE table_name = 'notes'`),
      ).resolves.toEqual([{ table_schema: SCHEMA }]);
    });

    it('should not run a migration again when the database is opened a second time', async () => {
      const before = migrationRuns.get(`handover-${app}`);

      const second = await openDatabase(target(), specFor(app));
      try {
        await expect(appliedMigrations(second)).resolves.toEqual(['CreateNotes1700000000000']);
      } finally {
        await second.destroy();
      }

      expect(before).toBe(1);
      expect(migrationRuns.get(`handover-${app}`)).toBe(1);
    });

    it('should create, read, update and delete rows through the DataSource', async () => {
      const notes = sut.getRepository(Note);

      const created = await notes.save(notes.create({ body: 'hello' }));
      expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
      await expect(notes.findOneBy({ id: created.id })).resolves.toMatchObject({ body: 'hello', version: 0 });

      const updated = await notes.update({ id: created.id, version: 0 }, { body: 'changed', version: 1 });
      expect(updated.affected).toBe(1);
      const stale = await notes.update({ id: created.id, version: 0 }, { body: 'lost update', version: 1 });
      expect(stale.affected).toBe(0);
      await expect(notes.findOneBy({ id: created.id })).resolves.toMatchObject({ body: 'changed', version: 1 });

      const deleted = await notes.delete({ id: created.id });
      expect(deleted.affected).toBe(1);
      await expect(notes.findOneBy({ id: created.id })).resolves.toBeNull();
    });

    it('should commit a transaction as a whole or not at all', async () => {
      const notes = sut.getRepository(Note);
      const marker = `tx-${kind}-${Date.now()}`;

      await sut.transaction(async (manager) => {
        await manager.save(Note, [{ body: `${marker}-a` }, { body: `${marker}-b` }]);
      });
      const failed = sut.transaction(async (manager) => {
        await manager.save(Note, { body: `${marker}-c` });
        throw new Error('roll back');
      });

      await expect(failed).rejects.toThrow('roll back');
      const bodies = (await notes.find()).map((n) => n.body).filter((b) => b.startsWith(marker));
      expect(bodies.sort()).toEqual([`${marker}-a`, `${marker}-b`]);
    });

    it('should pass its readiness check', async () => {
      await expect(databaseCheck(sut)()).resolves.toBeUndefined();
    });

    extras({
      sut: () => sut,
      async reopen() {
        await sut.destroy();
        sut = await openDatabase(target(), specFor(app));
        return sut;
      },
    });
  });
}

describe(openDatabase.name, () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'handover-pglite-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  describeTarget(
    'postgres',
    () => ({ kind: 'postgres', url: currentTestRun().databaseUrl, poolSize: 4 }),
    'int-postgres',
  );

  describeTarget(
    'pglite',
    () => ({ kind: 'pglite', dataDir }),
    'int-pglite',
    (open) => {
      const count = async () => {
        const rows: Array<{ n: number }> = await open.sut().query(`SELECT count(*)::int AS n FROM "${SCHEMA}"."notes"`);
        return rows[0]!.n;
      };

      it('should never show another transaction its uncommitted rows (the pool lends its one connection to one client at a time)', async () => {
        const before = await count();
        let inserted!: () => void;
        const insertedSignal = new Promise<void>((resolve) => (inserted = resolve));

        const writer = open.sut().transaction(async (manager) => {
          await manager.save(Note, { body: 'uncommitted' });
          inserted();
          await sleep(200);
          throw new Error('roll back');
        });
        await insertedSignal;
        const seenMeanwhile = await Promise.all([count(), count(), count()]);

        await expect(writer).rejects.toThrow('roll back');
        expect(seenMeanwhile).toEqual([before, before, before]);
        await expect(count()).resolves.toBe(before);
      });

      it('should start PostgreSQL with a 32 MB buffer pool (its 128 MB default held most of the embedded RSS)', async () => {
        await expect(open.sut().query('SHOW shared_buffers')).resolves.toEqual([{ shared_buffers: '32MB' }]);
      });

      it('should let transactions that run side by side all commit', async () => {
        const before = await count();

        await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            open.sut().transaction(async (manager) => {
              await manager.save(Note, { body: `parallel-${i}` });
              await sleep(5);
              await manager.save(Note, { body: `parallel-${i}-second` });
            }),
          ),
        );

        await expect(count()).resolves.toBe(before + 16);
      });

      it('should keep data after the DataSource is destroyed and the files are opened again', async () => {
        const saved = await open.sut().getRepository(Note).save({ body: 'kept on disk' });
        const before = await count();

        const reopened = await open.reopen();

        await expect(reopened.getRepository(Note).findOneBy({ id: saved.id })).resolves.toMatchObject({
          body: 'kept on disk',
        });
        await expect(count()).resolves.toBe(before);
        await expect(appliedMigrations(reopened)).resolves.toEqual(['CreateNotes1700000000000']);
        expect(migrationRuns.get('handover-int-pglite')).toBe(1);
      });
    },
  );
});
