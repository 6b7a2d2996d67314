/**
 * Test data of one tenant, inserted straight into the tables the way the demo seed does, under a unique slug so
 * it never meets another spec's data in this run's shared database.
 */
import { randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { hashPassword, type SecretHasher } from '#security';

export interface SeededUser {
  id: string;
  login: string;
  password: string;
  accountIds: string[];
}

export interface SeededTenant {
  id: string;
  slug: string;
  hostKey: string;
  hostKeyLabel: string;
  vendor: { id: string; clientId: string; secret: string };
  redirectVendor: { id: string; clientId: string };
  owner: SeededUser;
  /** A second user of the same tenant. */
  neighbour: SeededUser;
  /** A user created by another identity source: no local password. */
  external: { id: string; login: string };
}

export interface SeedOptions {
  /** Transactions per account of the owner (the neighbour's accounts get 3). */
  transactions: number;
}

const unique = () => randomBytes(5).toString('hex');

/** One tenant with a host key, two vendors, three users, accounts and transactions. */
export async function seedTenant(
  dataSource: DataSource,
  hasher: SecretHasher,
  options: SeedOptions = { transactions: 5 },
): Promise<SeededTenant> {
  const slug = `int-${unique()}`;
  const logins = { owner: `owner-${unique()}`, neighbour: `neighbour-${unique()}`, external: `external-${unique()}` };
  const password = `pw-${unique()}`;
  const passwordHash = await hashPassword(password);
  return dataSource.transaction(async (tx) => {
    const [tenant]: Array<{ id: string }> = await tx.query(
      `INSERT INTO user_data.tenants (slug, name) VALUES ($1, $2) RETURNING id`,
      [slug, `Bank ${slug}`],
    );
    const hostKey = `host-${unique()}-${randomBytes(16).toString('base64url')}`;
    const hostKeyLabel = `${slug} host`;
    await tx.query(`INSERT INTO user_data.api_keys (tenant_id, kind, key_hash, label) VALUES ($1, 'host', $2, $3)`, [
      tenant.id,
      hasher.hash(hostKey),
      hostKeyLabel,
    ]);
    const vendorSecret = randomBytes(24).toString('base64url');
    const vendor = await insertVendor(tx, tenant.id, hasher.hash(vendorSecret), `planner-${unique()}`, null);
    const redirectVendor = await insertVendor(tx, tenant.id, hasher.hash('x'), `redirector-${unique()}`, 'redirect');
    const owner = await insertUser(tx, tenant.id, logins.owner, passwordHash);
    const neighbour = await insertUser(tx, tenant.id, logins.neighbour, passwordHash);
    const external = await insertUser(tx, tenant.id, logins.external, null);
    const ownerAccounts = [
      await insertAccount(tx, tenant.id, owner, 'Everyday', '9007199254740993', options.transactions),
      await insertAccount(tx, tenant.id, owner, 'Savings', '-125', options.transactions),
    ];
    const neighbourAccounts = [await insertAccount(tx, tenant.id, neighbour, 'Joint', '100', 3)];
    return {
      id: tenant.id,
      slug,
      hostKey,
      hostKeyLabel,
      vendor: { ...vendor, secret: vendorSecret },
      redirectVendor,
      owner: { id: owner, login: logins.owner, password, accountIds: ownerAccounts },
      neighbour: { id: neighbour, login: logins.neighbour, password, accountIds: neighbourAccounts },
      external: { id: external, login: logins.external },
    };
  });
}

/** An admin key (no tenant). */
export async function seedAdminKey(
  dataSource: DataSource,
  hasher: SecretHasher,
): Promise<{ key: string; label: string }> {
  const key = `admin-${unique()}-${randomBytes(16).toString('base64url')}`;
  const label = `ops ${unique()}`;
  await dataSource.query(
    `INSERT INTO user_data.api_keys (tenant_id, kind, key_hash, label) VALUES (NULL, 'admin', $1, $2)`,
    [hasher.hash(key), label],
  );
  return { key, label };
}

async function insertVendor(
  tx: EntityManager,
  tenantId: string,
  secretHash: string,
  clientId: string,
  launchMode: 'redirect' | null,
): Promise<{ id: string; clientId: string }> {
  // Without a launch mode the column's default applies (the migration's `embed`).
  const [row]: Array<{ id: string }> = await tx.query(
    `INSERT INTO user_data.vendors
       (tenant_id, client_id, name, secret_hash, plugin_urls, allowed_origins, redirect_uris, config, scopes, pkce_required
        ${launchMode ? ', launch_mode' : ''})
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, true ${launchMode ? ', $10' : ''}) RETURNING id`,
    [
      tenantId,
      clientId,
      `Vendor ${clientId}`,
      secretHash,
      JSON.stringify([`https://${clientId}.example/plugin`]),
      JSON.stringify([`https://${clientId}.example`]),
      JSON.stringify([`https://${clientId}.example/callback`]),
      JSON.stringify({ theme: 'dark', nested: { limit: 3 } }),
      ['profile', 'accounts'],
      ...(launchMode ? [launchMode] : []),
    ],
  );
  return { id: row.id, clientId };
}

async function insertUser(tx: EntityManager, tenantId: string, login: string, passwordHash: string | null) {
  const [row]: Array<{ id: string }> = await tx.query(
    `INSERT INTO user_data.users (tenant_id, login, email, full_name, password_hash) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [tenantId, login, `${login}@example.com`, `Name of ${login}`, passwordHash],
  );
  return row.id;
}

/**
 * An account and `count` transactions whose times make pagination hard: groups of three share one `booked_at`
 * exactly (the order falls to the id), and neighbouring groups are one microsecond apart (finer than a JS Date).
 */
async function insertAccount(
  tx: EntityManager,
  tenantId: string,
  userId: string,
  name: string,
  balance: string,
  count: number,
): Promise<string> {
  const [row]: Array<{ id: string }> = await tx.query(
    `INSERT INTO user_data.accounts (tenant_id, user_id, name, iban, currency, balance_minor)
     VALUES ($1, $2, $3, $4, 'EUR', $5::bigint) RETURNING id`,
    [tenantId, userId, name, `DE${String(Date.now()).slice(-8)}${unique()}`, balance],
  );
  if (count > 0) {
    await tx.query(
      `INSERT INTO user_data.transactions (tenant_id, account_id, booked_at, amount_minor, currency, description)
       SELECT $1, $2, timestamptz '2026-10-01 12:00:00.000000+00' + (g / 3) * interval '1 microsecond',
              (g * 137 - 5000)::bigint, 'EUR', 'payment ' || g
         FROM generate_series(1, $3::int) AS g`,
      [tenantId, row.id, count],
    );
  }
  return row.id;
}
