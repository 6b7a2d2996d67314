/**
 * The user-data app's principal lookups (API keys, users, vendors) over the bus, against a real database.
 * Real: the whole user-data app (handlers with validation, error filter, services, repositories, migrations),
 * PostgreSQL and NATS, or PGlite and the in-process bus (both run modes). Mocked: nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { verifyPassword } from '#security';
import { Demo, seedDemo } from '../src/demo/demo-seed.js';
import { UserDataModule } from '../src/user-data.module.js';
import { seedAdminKey, seedTenant, type SeededTenant } from './user-data.fixtures.js';
import { errorBodyOf, startUserData, TARGETS, type UserDataUnderTest } from './user-data.harness.js';

describe(UserDataModule.name, () => {
  describe.each(TARGETS)('principals on %s', (_name, kind) => {
    let sut: UserDataUnderTest;
    let tenant: SeededTenant;
    let otherTenant: SeededTenant;
    let admin: { key: string; label: string };

    beforeAll(async () => {
      sut = await startUserData(kind);
      tenant = await seedTenant(sut.database, sut.hasher);
      otherTenant = await seedTenant(sut.database, sut.hasher);
      admin = await seedAdminKey(sut.database, sut.hasher);
    }, 60_000);

    afterAll(async () => {
      await sut?.close();
    });

    describe('user-data.api-key.verify', () => {
      it('should resolve a host key to its tenant', async () => {
        await expect(sut.client.request('user-data.api-key.verify', { key: tenant.hostKey })).resolves.toEqual({
          kind: 'host',
          tenantId: tenant.id,
          label: tenant.hostKeyLabel,
        });
      });

      it('should resolve an admin key with no tenant', async () => {
        await expect(sut.client.request('user-data.api-key.verify', { key: admin.key })).resolves.toEqual({
          kind: 'admin',
          tenantId: null,
          label: admin.label,
        });
      });

      it('should keep only the keyed hash of a key in the table', async () => {
        const rows: Array<{ key_hash: string }> = await sut.database.query(
          `SELECT key_hash FROM user_data.api_keys WHERE tenant_id = $1`,
          [tenant.id],
        );

        expect(rows).toEqual([{ key_hash: sut.hasher.hash(tenant.hostKey) }]);
        expect(JSON.stringify(rows)).not.toContain(tenant.hostKey);
      });

      it('should answer every failure with the same unauthorized body', async () => {
        const candidates = [
          'unknown-key',
          tenant.hostKey.slice(0, -1),
          `${tenant.hostKey}x`,
          tenant.hostKey.toUpperCase(),
          sut.hasher.hash(tenant.hostKey), // the stored hash itself is not a key
          "' OR 1=1 --",
        ];

        const bodies = await Promise.all(
          candidates.map((key) => errorBodyOf(sut.client.request('user-data.api-key.verify', { key }))),
        );

        for (const body of bodies)
          expect(body).toEqual({ error: 'unauthorized', error_description: 'invalid API key' });
      });

      it('should refuse a payload the contract refuses with invalid_request', async () => {
        await expect(errorBodyOf(sut.client.request('user-data.api-key.verify', { key: '' }))).resolves.toMatchObject({
          error: 'invalid_request',
        });
        await expect(
          errorBodyOf(sut.client.request('user-data.api-key.verify', { key: 'x'.repeat(513) })),
        ).resolves.toMatchObject({ error: 'invalid_request' });
      });
    });

    describe('user-data.vendor.get', () => {
      it("should give the vendor's full registration, with the default launch mode `embed`", async () => {
        const vendor = await sut.client.request('user-data.vendor.get', {
          tenantId: tenant.id,
          clientId: tenant.vendor.clientId,
        });

        expect(vendor).toEqual({
          id: tenant.vendor.id,
          tenantId: tenant.id,
          clientId: tenant.vendor.clientId,
          name: `Vendor ${tenant.vendor.clientId}`,
          secretHash: sut.hasher.hash(tenant.vendor.secret),
          pluginUrls: [`https://${tenant.vendor.clientId}.example/plugin`],
          redirectUris: [`https://${tenant.vendor.clientId}.example/callback`],
          allowedOrigins: [`https://${tenant.vendor.clientId}.example`],
          config: { theme: 'dark', nested: { limit: 3 } },
          scopes: ['profile', 'accounts'],
          pkceRequired: true,
          launchMode: 'embed',
        });
        expect(sut.hasher.verify(tenant.vendor.secret, vendor.secretHash)).toBe(true);
      });

      it('should give a vendor registered for redirect launches', async () => {
        await expect(
          sut.client.request('user-data.vendor.get', { tenantId: tenant.id, clientId: tenant.redirectVendor.clientId }),
        ).resolves.toMatchObject({ id: tenant.redirectVendor.id, launchMode: 'redirect' });
      });

      it('should refuse a launch mode other than redirect or embed in the table', async () => {
        // TypeORM logs the failed query on the console; the failure is the point here.
        jest.spyOn(console, 'log').mockImplementation(() => undefined);
        await expect(
          sut.database.query(`UPDATE user_data.vendors SET launch_mode = 'popup' WHERE id = $1`, [tenant.vendor.id]),
        ).rejects.toThrow(/launch_mode/);
        jest.restoreAllMocks();
      });

      it("should answer an unknown vendor and another tenant's vendor with the same not_found body", async () => {
        const missing = await errorBodyOf(
          sut.client.request('user-data.vendor.get', { tenantId: tenant.id, clientId: 'no-such-vendor' }),
        );
        const foreign = await errorBodyOf(
          sut.client.request('user-data.vendor.get', { tenantId: tenant.id, clientId: otherTenant.vendor.clientId }),
        );
        const unknownTenant = await errorBodyOf(
          sut.client.request('user-data.vendor.get', { tenantId: randomUUID(), clientId: tenant.vendor.clientId }),
        );

        expect(missing).toEqual({ error: 'not_found', error_description: 'no such vendor' });
        expect(foreign).toEqual(missing);
        expect(unknownTenant).toEqual(missing);
      });
    });

    describe('user-data.user.resolve', () => {
      it('should find a user by login', async () => {
        await expect(
          sut.client.request('user-data.user.resolve', { tenantId: tenant.id, user: tenant.owner.login }),
        ).resolves.toEqual({
          id: tenant.owner.id,
          login: tenant.owner.login,
          email: `${tenant.owner.login}@example.com`,
          name: `Name of ${tenant.owner.login}`,
        });
      });

      it('should find a user by id, in either case', async () => {
        await expect(
          sut.client.request('user-data.user.resolve', { tenantId: tenant.id, user: tenant.owner.id }),
        ).resolves.toMatchObject({ id: tenant.owner.id, login: tenant.owner.login });
        await expect(
          sut.client.request('user-data.user.resolve', { tenantId: tenant.id, user: tenant.owner.id.toUpperCase() }),
        ).resolves.toMatchObject({ id: tenant.owner.id });
      });

      it("should answer an unknown user and another tenant's user (by login or id) with the same not_found body", async () => {
        const resolve = (tenantId: string, user: string) =>
          errorBodyOf(sut.client.request('user-data.user.resolve', { tenantId, user }));

        const bodies = await Promise.all([
          resolve(tenant.id, 'nobody'),
          resolve(tenant.id, randomUUID()),
          resolve(tenant.id, otherTenant.owner.login),
          resolve(tenant.id, otherTenant.owner.id),
          resolve(otherTenant.id, tenant.owner.id),
          resolve(tenant.id, "nobody' OR '1'='1"),
        ]);

        for (const body of bodies) expect(body).toEqual({ error: 'not_found', error_description: 'no such user' });
      });
    });

    describe('user-data.user.credentials', () => {
      it("should give the user's profile and a scrypt hash of their password", async () => {
        const reply = await sut.client.request('user-data.user.credentials', {
          tenantId: tenant.id,
          login: tenant.owner.login,
        });

        expect(reply.user).toMatchObject({ id: tenant.owner.id, login: tenant.owner.login });
        await expect(verifyPassword(tenant.owner.password, reply.passwordHash!)).resolves.toBe(true);
      });

      it('should give a null hash for a user without a local password', async () => {
        await expect(
          sut.client.request('user-data.user.credentials', { tenantId: tenant.id, login: tenant.external.login }),
        ).resolves.toMatchObject({ user: { id: tenant.external.id }, passwordHash: null });
      });

      it("should answer an unknown login and another tenant's user with the same not_found body", async () => {
        const missing = await errorBodyOf(
          sut.client.request('user-data.user.credentials', { tenantId: tenant.id, login: 'nobody' }),
        );
        const foreign = await errorBodyOf(
          sut.client.request('user-data.user.credentials', { tenantId: tenant.id, login: otherTenant.owner.login }),
        );

        expect(missing).toEqual({ error: 'not_found', error_description: 'no such user' });
        expect(foreign).toEqual(missing);
      });
    });

    if (kind === 'pglite') {
      // Only on a database of this spec's own: the demo's slug and admin key are global.
      describe('demo seed', () => {
        it('should seed the demo tenant whose keys, vendor (embedded launch) and user the handlers serve', async () => {
          await expect(seedDemo(sut.database, sut.hasher, 'http://localhost:3000')).resolves.toBe(true);
          await expect(seedDemo(sut.database, sut.hasher, 'http://localhost:3000')).resolves.toBe(false);

          const host = await sut.client.request('user-data.api-key.verify', { key: Demo.hostKey });
          expect(host).toMatchObject({ kind: 'host', tenantId: expect.any(String) });
          await expect(sut.client.request('user-data.api-key.verify', { key: Demo.adminKey })).resolves.toMatchObject({
            kind: 'admin',
            tenantId: null,
          });
          const tenantId = host.tenantId!;
          // The demo calls itself on localhost (its webhook receiver, its identity provider).
          await expect(sut.client.request('user-data.tenant.get', { slug: Demo.tenant })).resolves.toEqual({
            id: tenantId,
            slug: Demo.tenant,
            name: 'Demo Bank',
            outboundNetwork: 'loopback',
          });
          await expect(
            sut.client.request('user-data.vendor.get', { tenantId, clientId: Demo.vendor }),
          ).resolves.toMatchObject({
            launchMode: 'embed',
            pluginUrls: ['http://localhost:3000/demo/plugin'],
            scopes: ['profile', 'accounts', 'vendor_data'],
          });
          const { user, passwordHash } = await sut.client.request('user-data.user.credentials', {
            tenantId,
            login: Demo.user,
          });
          await expect(verifyPassword(Demo.password, passwordHash!)).resolves.toBe(true);
          const { accounts } = await sut.client.request('user-data.accounts.list', { tenantId, userId: user.id });
          expect(accounts).toHaveLength(2);
        });
      });
    }
  });
});
