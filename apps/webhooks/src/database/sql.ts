import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';

export interface SqlResult<T> {
  rows: T[];
  /** Rows inserted, updated or deleted. */
  affected: number;
}

/** One parameterised statement; `$1`, `$2`, ... are bound from `params`. */
export type SqlQuery = <T = Record<string, unknown>>(
  text: string,
  params?: readonly unknown[],
) => Promise<SqlResult<T>>;

async function run<T>(runner: QueryRunner, text: string, params: readonly unknown[]): Promise<SqlResult<T>> {
  // The structured result: `DataSource.query` shapes UPDATE results differently from SELECT and, over PGlite,
  // cannot tell a `WITH … UPDATE` from a SELECT.
  const result = await runner.query(text, [...params], true);
  return { rows: (result.records ?? []) as T[], affected: result.affected ?? 0 };
}

/**
 * The webhooks app's access to its schema: parameterised SQL, because the dispatcher's statements (multi-row
 * inserts from arrays, `FOR UPDATE SKIP LOCKED` claims) are not what an ORM writes well.
 */
@Injectable()
export class Sql {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  readonly query: SqlQuery = async <T>(text: string, params: readonly unknown[] = []) => {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await run<T>(runner, text, params);
    } finally {
      await runner.release();
    }
  };

  /** Runs `work` in one transaction: its statements commit together or not at all. */
  transaction<R>(work: (query: SqlQuery) => Promise<R>): Promise<R> {
    return this.dataSource.transaction((manager) => {
      const runner = manager.queryRunner;
      if (!runner) throw new Error('a transaction without a query runner');
      return work(<T>(text: string, params: readonly unknown[] = []) => run<T>(runner, text, params));
    });
  }
}
