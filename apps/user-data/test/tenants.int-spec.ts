/**
 * Tenants over the bus, against a real database: creation and lookup with the tenant's outbound network.
 * Real: the whole user-data app (handlers with validation, error filter, services, repositories, migrations),
 * PostgreSQL and NATS, or PGlite and the in-process bus (both run modes). Mocked: nothing.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UserDataModule } from '../src/user-data.module.js';
import { startUserData, TARGETS, type UserDataUnderTest } from './user-data.harness.js';

describe(UserDataModule.name, () => {
  describe.each(TARGETS)('tenants on %s', (_name, kind) => {
    let sut: UserDataUnderTest;
    const slug = () => `t-${randomBytes(6).toString('hex')}`;

    beforeAll(async () => {
      sut = await startUserData(kind);
    }, 60_000);

    afterAll(async () => {
      await sut?.close();
    });

    describe('user-data.tenant.create and user-data.tenant.get', () => {
      it('should keep the outbound network a tenant is created with', async () => {
        const created = await sut.client.request('user-data.tenant.create', {
          slug: slug(),
          name: 'Loopback Bank',
          outboundNetwork: 'loopback',
        });

        await expect(sut.client.request('user-data.tenant.get', { slug: created.slug })).resolves.toEqual({
          id: created.id,
          slug: created.slug,
          name: 'Loopback Bank',
          outboundNetwork: 'loopback',
        });
      });

      it('should make a tenant created without one public (outbound calls to public addresses only)', async () => {
        const created = await sut.client.request('user-data.tenant.create', { slug: slug(), name: 'Public Bank' });

        await expect(sut.client.request('user-data.tenant.get', { slug: created.slug })).resolves.toMatchObject({
          outboundNetwork: 'public',
        });
      });

      it('should refuse an outbound network that is not one of public, loopback, private', async () => {
        const attempt = sut.client.request('user-data.tenant.create', {
          slug: slug(),
          name: 'Open Bank',
          outboundNetwork: 'any' as 'public',
        });

        await expect(attempt).rejects.toMatchObject({ code: 'invalid_request' });
      });

      it('should refuse any other value in the table as well (check constraint)', async () => {
        const created = await sut.client.request('user-data.tenant.create', { slug: slug(), name: 'Checked Bank' });

        await expect(
          sut.database.query(`UPDATE user_data.tenants SET outbound_network = 'metadata' WHERE id = $1`, [created.id]),
        ).rejects.toThrow();
        await expect(
          sut.database.query(`UPDATE user_data.tenants SET outbound_network = 'private' WHERE id = $1`, [created.id]),
        ).resolves.toBeDefined();
      });
    });
  });
});
