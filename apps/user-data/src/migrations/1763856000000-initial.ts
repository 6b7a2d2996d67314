import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tenants, their keys, vendors, users and banking data. Every row below a tenant carries `tenant_id`. */
export class Initial1763856000000 implements MigrationInterface {
  name = 'Initial1763856000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE user_data.tenants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        slug text NOT NULL UNIQUE,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE user_data.api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid REFERENCES user_data.tenants(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('host', 'admin')),
        key_hash text NOT NULL UNIQUE,
        label text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((kind = 'admin') = (tenant_id IS NULL))
      )`);
    await q.query(`
      CREATE TABLE user_data.vendors (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES user_data.tenants(id) ON DELETE CASCADE,
        client_id text NOT NULL,
        name text NOT NULL,
        secret_hash text NOT NULL,
        plugin_urls jsonb NOT NULL DEFAULT '[]',
        allowed_origins jsonb NOT NULL DEFAULT '[]',
        redirect_uris jsonb NOT NULL DEFAULT '[]',
        config jsonb NOT NULL DEFAULT '{}',
        scopes text[] NOT NULL DEFAULT '{}',
        pkce_required boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, client_id)
      )`);
    await q.query(`
      CREATE TABLE user_data.vendor_data_elements (
        tenant_id uuid NOT NULL REFERENCES user_data.tenants(id) ON DELETE CASCADE,
        vendor_id uuid NOT NULL REFERENCES user_data.vendors(id) ON DELETE CASCADE,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        PRIMARY KEY (vendor_id, name)
      )`);
    await q.query(`
      CREATE TABLE user_data.users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES user_data.tenants(id) ON DELETE CASCADE,
        login text NOT NULL,
        email text,
        full_name text,
        password_hash text,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, login)
      )`);
    await q.query(`
      CREATE TABLE user_data.accounts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES user_data.tenants(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES user_data.users(id) ON DELETE CASCADE,
        name text NOT NULL,
        iban text NOT NULL,
        currency char(3) NOT NULL,
        balance_minor bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX accounts_owner ON user_data.accounts (tenant_id, user_id)`);
    await q.query(`
      CREATE TABLE user_data.transactions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES user_data.tenants(id) ON DELETE CASCADE,
        account_id uuid NOT NULL REFERENCES user_data.accounts(id) ON DELETE CASCADE,
        booked_at timestamptz NOT NULL,
        amount_minor bigint NOT NULL,
        currency char(3) NOT NULL,
        description text NOT NULL
      )`);
    // Cursor pagination walks (booked_at, id) backwards per account.
    await q.query(`CREATE INDEX transactions_page ON user_data.transactions (account_id, booked_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'transactions',
      'accounts',
      'users',
      'vendor_data_elements',
      'vendors',
      'api_keys',
      'tenants',
    ]) {
      await q.query(`DROP TABLE user_data.${table}`);
    }
  }
}
