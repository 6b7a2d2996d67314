import type { DataSource, EntityManager } from 'typeorm';
import { hashPassword, type SecretHasher } from '#security';

/** The demo of SPEC §8; the values are public by design (they are in the README). */
export const Demo = {
  tenant: 'demo',
  hostKey: 'demo-host-key',
  adminKey: 'demo-admin-key',
  vendor: 'demo-vendor',
  vendorSecret: 'demo-vendor-secret',
  user: 'demo',
  password: 'demo',
} as const;

/**
 * Seeds the demo tenant once: the first start creates it in one transaction, later starts (and concurrent
 * replicas) see the tenant and leave everything as it is, so the demo's data survives restarts.
 */
export async function seedDemo(dataSource: DataSource, hasher: SecretHasher, baseUrl: string): Promise<boolean> {
  const passwordHash = await hashPassword(Demo.password);
  return dataSource.transaction(async (tx) => {
    const inserted: Array<{ id: string }> = await tx.query(
      // `loopback`: the demo's webhook endpoint and identity provider are served by the demo itself, on localhost.
      `INSERT INTO user_data.tenants (slug, name, outbound_network) VALUES ($1, $2, 'loopback')
       ON CONFLICT (slug) DO NOTHING RETURNING id`,
      [Demo.tenant, 'Demo Bank'],
    );
    if (inserted.length === 0) return false;
    const tenantId = inserted[0].id;
    await tx.query(
      `INSERT INTO user_data.api_keys (tenant_id, kind, key_hash, label) VALUES ($1, 'host', $2, 'demo host')`,
      [tenantId, hasher.hash(Demo.hostKey)],
    );
    await tx.query(
      `INSERT INTO user_data.api_keys (tenant_id, kind, key_hash, label) VALUES (NULL, 'admin', $1, 'demo admin')
       ON CONFLICT (key_hash) DO NOTHING`,
      [hasher.hash(Demo.adminKey)],
    );
    const [vendor]: Array<{ id: string }> = await tx.query(
      `INSERT INTO user_data.vendors
         (tenant_id, client_id, name, secret_hash, plugin_urls, allowed_origins, redirect_uris, config, scopes,
          pkce_required, launch_mode)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, false, 'embed') RETURNING id`,
      [
        tenantId,
        Demo.vendor,
        'Demo Budget Planner',
        hasher.hash(Demo.vendorSecret),
        JSON.stringify([`${baseUrl}/demo/plugin`]),
        JSON.stringify([new URL(baseUrl).origin]),
        JSON.stringify([`${baseUrl}/demo/plugin`]),
        JSON.stringify({ theme: 'light', currency_display: 'symbol' }),
        ['profile', 'accounts', 'vendor_data'],
      ],
    );
    await tx.query(
      `INSERT INTO user_data.vendor_data_elements (tenant_id, vendor_id, name, description) VALUES ($1, $2, $3, $4)`,
      [tenantId, vendor.id, 'Session.UserSSOIdentifier', "The user's identifier at the vendor"],
    );
    const [user]: Array<{ id: string }> = await tx.query(
      `INSERT INTO user_data.users (tenant_id, login, email, full_name, password_hash) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [tenantId, Demo.user, 'demo@example.com', 'Dana Demo', passwordHash],
    );
    await seedAccounts(tx, tenantId, user.id);
    return true;
  });
}

async function seedAccounts(tx: EntityManager, tenantId: string, userId: string): Promise<void> {
  const accounts = [
    { name: 'Everyday account', iban: 'DE89370400440532013000', balance: 248_350 },
    { name: 'Savings', iban: 'DE44500105175407324931', balance: 1_250_000 },
  ];
  const descriptions = ['Coffee shop', 'Salary', 'Rent', 'Groceries', 'Train ticket', 'Bookshop', 'Electricity', 'Gym'];
  const start = Date.UTC(2026, 9, 1);
  for (const [a, account] of accounts.entries()) {
    const [row]: Array<{ id: string }> = await tx.query(
      `INSERT INTO user_data.accounts (tenant_id, user_id, name, iban, currency, balance_minor) VALUES ($1, $2, $3, $4, 'EUR', $5) RETURNING id`,
      [tenantId, userId, account.name, account.iban, account.balance],
    );
    for (let i = 0; i < 24; i++) {
      const description = descriptions[(i + a) % descriptions.length];
      const amount = description === 'Salary' ? 320_000 : -((i * 737 + a * 311) % 9_000) - 150;
      await tx.query(
        `INSERT INTO user_data.transactions (tenant_id, account_id, booked_at, amount_minor, currency, description) VALUES ($1, $2, $3, $4, 'EUR', $5)`,
        [tenantId, row.id, new Date(start + i * 86_400_000 * 2 + a * 3_600_000).toISOString(), amount, description],
      );
    }
  }
}
