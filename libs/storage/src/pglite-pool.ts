import { EventEmitter } from 'node:events';
import { PGlite } from '@electric-sql/pglite';

/**
 * A `pg`-compatible pool over one embedded PGlite database, for TypeORM's postgres driver.
 *
 * PGlite is a single connection. typeorm-pglite hands every query runner that same connection at once, so two
 * concurrent transactions interleave their statements; this pool instead lends the connection to one client
 * at a time (others queue), which keeps transactions isolated, and it maps PGlite's result to `pg`'s shape
 * (`rowCount`, `command`) so TypeORM reads affected-row counts correctly.
 */
interface PgResult {
  rows: unknown[];
  rowCount: number;
  command: string;
  fields: unknown[];
}

class Mutex {
  private locked = false;
  private readonly waiters: Array<() => void> = [];

  async acquire(): Promise<() => void> {
    if (this.locked) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.locked = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.locked = false;
    };
  }
}

const instances = new Map<string, { db: Promise<PGlite>; mutex: Mutex; refs: number }>();

/**
 * PostgreSQL's default `shared_buffers` (128 MB) lives in PGlite's WebAssembly memory, which never shrinks, so it
 * was most of the embedded process's RSS once warm (PGlite alone 297 MB after a restart, 345 MB under queries).
 * With 32 MB: 190 and 216 MB. The data files stay in the OS page cache either way, and embedded mode's tables are
 * small, so the smaller buffer pool costs no measurable speed (bench/README.md). It keeps the whole embedded process
 * under SPEC's 512 MB at load.
 */
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=32MB'];

function commandOf(sql: string): string {
  return (/^\s*(\w+)/.exec(sql)?.[1] ?? '').toUpperCase();
}

async function run(db: PGlite, sql: string, params?: unknown[]): Promise<PgResult> {
  if (params && params.length > 0) {
    const r = await db.query(sql, params);
    return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length, command: commandOf(sql), fields: r.fields };
  }
  // Parameterless text may hold several statements (migrations); like pg, answer with the last result.
  const results = await db.exec(sql);
  const last = results[results.length - 1];
  return {
    rows: last?.rows ?? [],
    rowCount: last?.affectedRows ?? last?.rows.length ?? 0,
    command: commandOf(sql),
    fields: last?.fields ?? [],
  };
}

type Callback<T> = (err: Error | null, result?: T) => void;

class PGliteClient extends EventEmitter {
  constructor(private readonly db: PGlite) {
    super();
  }

  query(sql: string, params?: unknown[] | Callback<PgResult>, callback?: Callback<PgResult>): Promise<PgResult> {
    const cb = typeof params === 'function' ? params : callback;
    const values = typeof params === 'function' ? undefined : params;
    const promise = run(this.db, sql, values);
    if (cb)
      promise.then(
        (r) => cb(null, r),
        (e: Error) => cb(e),
      );
    return promise;
  }
}

/** Opens (or shares) the PGlite database stored in `dataDir`; every DataSource on it gets its own pool object. */
export function pglitePoolClass(dataDir: string) {
  return class PGlitePool extends EventEmitter {
    private readonly entry;

    constructor() {
      super();
      let entry = instances.get(dataDir);
      if (!entry) {
        entry = { db: PGlite.create(dataDir, { startParams: START_PARAMS }), mutex: new Mutex(), refs: 0 };
        instances.set(dataDir, entry);
      }
      entry.refs++;
      this.entry = entry;
    }

    connect(callback: (err: Error | null, client?: PGliteClient, release?: (err?: unknown) => void) => void): void {
      void (async () => {
        try {
          const db = await this.entry.db;
          const release = await this.entry.mutex.acquire();
          callback(null, new PGliteClient(db), () => release());
        } catch (err) {
          callback(err as Error);
        }
      })();
    }

    async query(sql: string, params?: unknown[]): Promise<PgResult> {
      const db = await this.entry.db;
      const release = await this.entry.mutex.acquire();
      try {
        return await run(db, sql, params);
      } finally {
        release();
      }
    }

    end(callback?: (err?: Error | null) => void): Promise<void> {
      const done = (async () => {
        this.entry.refs--;
        if (this.entry.refs === 0 && instances.get(dataDir) === this.entry) {
          instances.delete(dataDir);
          await (await this.entry.db).close();
        }
      })();
      done.then(
        () => callback?.(null),
        (e: Error) => callback?.(e),
      );
      return done;
    }
  };
}
