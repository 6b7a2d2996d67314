import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SigningKeys1763856000000 implements MigrationInterface {
  name = 'SigningKeys1763856000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE token.signing_keys (
        kid text PRIMARY KEY,
        tenant_id uuid NOT NULL,
        alg text NOT NULL,
        status text NOT NULL CHECK (status IN ('active', 'retiring', 'retired')),
        public_jwk jsonb NOT NULL,
        private_jwk_sealed text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // At most one active key per tenant: concurrent first uses race on this index, and one wins.
    await q.query(
      `CREATE UNIQUE INDEX signing_keys_one_active ON token.signing_keys (tenant_id) WHERE status = 'active'`,
    );
    await q.query(`CREATE INDEX signing_keys_tenant ON token.signing_keys (tenant_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE token.signing_keys`);
  }
}
