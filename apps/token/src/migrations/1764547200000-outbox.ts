import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxMigrationSql } from '#messaging';

/** `token.outbox`: session events on their way to the durable stream (see OutboxRelay). */
export class Outbox1764547200000 implements MigrationInterface {
  name = 'Outbox1764547200000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of outboxMigrationSql('token').up) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of outboxMigrationSql('token').down) await q.query(sql);
  }
}
