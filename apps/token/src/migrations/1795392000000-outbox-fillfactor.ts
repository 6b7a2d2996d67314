import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Room in the outbox's pages for the relay's lease updates to be heap-only (see the webhooks queue's twin). */
export class OutboxFillfactor1795392000000 implements MigrationInterface {
  name = 'OutboxFillfactor1795392000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE token.outbox SET (fillfactor = 70)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE token.outbox RESET (fillfactor)`);
  }
}
