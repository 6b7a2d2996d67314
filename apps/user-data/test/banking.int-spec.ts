/**
 * Accounts and transactions over the bus, from the default banking connector, against a real database: owner
 * scoping, cursor pagination and the data API's catalogue cases DA-04 (limits and cursors never yield a 5xx).
 * Real: the whole user-data app, PostgreSQL and NATS, or PGlite and the in-process bus. Mocked: nothing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ListTransactionsRequest, Transaction, TransactionsReply } from '#contracts';
import { UserDataModule } from '../src/user-data.module.js';
import { seedTenant, type SeededTenant } from './user-data.fixtures.js';
import { errorBodyOf, startUserData, TARGETS, type UserDataUnderTest } from './user-data.harness.js';

const TRANSACTIONS = 53;

describe(UserDataModule.name, () => {
  describe.each(TARGETS)('banking on %s', (_name, kind) => {
    let sut: UserDataUnderTest;
    let tenant: SeededTenant;
    let otherTenant: SeededTenant;

    const page = (request: Partial<ListTransactionsRequest> & { accountId: string }): Promise<TransactionsReply> =>
      sut.client.request('user-data.transactions.list', {
        tenantId: tenant.id,
        userId: tenant.owner.id,
        limit: 10,
        ...request,
      });

    /** Every transaction of the account, in the order the walk must give them, read straight from the table. */
    const expectedOrder = async (accountId: string): Promise<string[]> => {
      const rows: Array<{ id: string }> = await sut.database.query(
        `SELECT id::text AS id FROM user_data.transactions WHERE account_id = $1 ORDER BY booked_at DESC, id DESC`,
        [accountId],
      );
      return rows.map((r) => r.id);
    };

    const walk = async (
      accountId: string,
      limit: number,
    ): Promise<{ pages: Transaction[][]; last: TransactionsReply }> => {
      const pages: Transaction[][] = [];
      let reply = await page({ accountId, limit });
      pages.push(reply.transactions);
      while (reply.next_cursor !== null) {
        reply = await page({ accountId, limit, cursor: reply.next_cursor });
        pages.push(reply.transactions);
        if (pages.length > TRANSACTIONS + 1) throw new Error('the walk does not end');
      }
      return { pages, last: reply };
    };

    beforeAll(async () => {
      sut = await startUserData(kind);
      tenant = await seedTenant(sut.database, sut.hasher, { transactions: TRANSACTIONS });
      otherTenant = await seedTenant(sut.database, sut.hasher, { transactions: 4 });
    }, 60_000);

    afterAll(async () => {
      await sut?.close();
    });

    describe('user-data.accounts.list', () => {
      it("should list the owner's accounts only, amounts as exact strings", async () => {
        const { accounts } = await sut.client.request('user-data.accounts.list', {
          tenantId: tenant.id,
          userId: tenant.owner.id,
        });

        expect(accounts.map((a) => a.id).sort()).toEqual([...tenant.owner.accountIds].sort());
        expect(accounts.find((a) => a.name === 'Everyday')).toMatchObject({
          currency: 'EUR',
          balance_minor: '9007199254740993', // 2^53 + 1: exact only as a string
          iban: expect.stringMatching(/^DE/),
        });
        expect(accounts.find((a) => a.name === 'Savings')).toMatchObject({ balance_minor: '-125' });
      });

      it('should list each user their own accounts, in a stable order', async () => {
        const neighbour = await sut.client.request('user-data.accounts.list', {
          tenantId: tenant.id,
          userId: tenant.neighbour.id,
        });
        const again = await sut.client.request('user-data.accounts.list', {
          tenantId: tenant.id,
          userId: tenant.owner.id,
        });
        const first = await sut.client.request('user-data.accounts.list', {
          tenantId: tenant.id,
          userId: tenant.owner.id,
        });

        expect(neighbour.accounts.map((a) => a.id)).toEqual(tenant.neighbour.accountIds);
        expect(again).toEqual(first);
      });

      it('should list nothing for a user asked for under another tenant, or a user without accounts', async () => {
        await expect(
          sut.client.request('user-data.accounts.list', { tenantId: otherTenant.id, userId: tenant.owner.id }),
        ).resolves.toEqual({ accounts: [] });
        await expect(
          sut.client.request('user-data.accounts.list', { tenantId: tenant.id, userId: tenant.external.id }),
        ).resolves.toEqual({ accounts: [] });
      });
    });

    describe('user-data.transactions.list', () => {
      it.each([1, 7, 10, 53, 100])(
        'should walk every transaction exactly once, newest first, with limit %d',
        async (limit) => {
          const accountId = tenant.owner.accountIds[0]!;

          const { pages, last } = await walk(accountId, limit);

          const ids = pages.flat().map((t) => t.id);
          expect(ids).toEqual(await expectedOrder(accountId));
          expect(new Set(ids).size).toBe(TRANSACTIONS);
          expect(pages.length).toBe(Math.ceil(TRANSACTIONS / limit));
          for (const p of pages.slice(0, -1)) expect(p).toHaveLength(limit);
          expect(last.next_cursor).toBeNull();
        },
      );

      it('should give transactions in the wire shape, amounts as strings', async () => {
        const { transactions } = await page({ accountId: tenant.owner.accountIds[0]!, limit: 1 });

        expect(transactions[0]).toEqual({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          booked_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
          amount_minor: expect.stringMatching(/^-?\d+$/),
          currency: 'EUR',
          description: expect.stringMatching(/^payment \d+$/),
        });
      });

      it('should keep its pages when newer transactions are booked during the walk (a keyset, not an offset)', async () => {
        const accountId = tenant.owner.accountIds[1]!;
        const before = await expectedOrder(accountId);
        const first = await page({ accountId, limit: 5 });

        await sut.database.query(
          `INSERT INTO user_data.transactions (tenant_id, account_id, booked_at, amount_minor, currency, description)
           VALUES ($1, $2, now(), 1, 'EUR', 'late booking')`,
          [tenant.id, accountId],
        );
        const rest: Transaction[] = [];
        let reply = await page({ accountId, limit: 5, cursor: first.next_cursor! });
        rest.push(...reply.transactions);
        while (reply.next_cursor) {
          reply = await page({ accountId, limit: 5, cursor: reply.next_cursor });
          rest.push(...reply.transactions);
        }

        expect([...first.transactions, ...rest].map((t) => t.id)).toEqual(before);
      });

      it('should give an empty page and no cursor for an account without transactions', async () => {
        const [empty]: Array<{ id: string }> = await sut.database.query(
          `INSERT INTO user_data.accounts (tenant_id, user_id, name, iban, currency, balance_minor)
           VALUES ($1, $2, 'Empty', 'DE00', 'EUR', 0) RETURNING id::text AS id`,
          [tenant.id, tenant.external.id],
        );

        await expect(
          sut.client.request('user-data.transactions.list', {
            tenantId: tenant.id,
            userId: tenant.external.id,
            accountId: empty!.id,
            limit: 10,
          }),
        ).resolves.toEqual({ transactions: [], next_cursor: null });
      });

      it("should answer another user's, another tenant's and a missing account with the same not_found body", async () => {
        const asOwner = (tenantId: string, accountId: string) =>
          errorBodyOf(
            sut.client.request('user-data.transactions.list', {
              tenantId,
              userId: tenant.owner.id,
              accountId,
              limit: 10,
            }),
          );

        const missing = await asOwner(tenant.id, randomUUID());
        const neighbours = await asOwner(tenant.id, tenant.neighbour.accountIds[0]!);
        const otherTenants = await asOwner(tenant.id, otherTenant.owner.accountIds[0]!);
        const ownUnderOtherTenant = await asOwner(otherTenant.id, tenant.owner.accountIds[0]!);

        expect(missing).toEqual({ error: 'not_found', error_description: 'no such account' });
        expect(neighbours).toEqual(missing);
        expect(otherTenants).toEqual(missing);
        expect(ownUnderOtherTenant).toEqual(missing);
      });

      describe('DA-04: limits and cursors', () => {
        it.each([0, -1, 101, 1000, 2 ** 31, 1.5])(
          'should answer limit %p with invalid_request from the contract (the gateway clamps before)',
          async (limit) => {
            await expect(errorBodyOf(page({ accountId: tenant.owner.accountIds[0]!, limit }))).resolves.toMatchObject({
              error: 'invalid_request',
              error_description: expect.stringContaining('limit'),
            });
          },
        );

        it('should accept the bounds of the clamp, 1 and 100', async () => {
          await expect(page({ accountId: tenant.owner.accountIds[0]!, limit: 1 })).resolves.toMatchObject({
            transactions: [expect.anything()],
          });
          const all = await page({ accountId: tenant.owner.accountIds[0]!, limit: 100 });
          expect(all.transactions).toHaveLength(TRANSACTIONS);
          expect(all.next_cursor).toBeNull();
        });

        it('should refuse a cursor from another account of the same owner with invalid_request', async () => {
          const [own, sibling] = tenant.owner.accountIds as [string, string];
          const { next_cursor } = await page({ accountId: own, limit: 2 });

          await expect(errorBodyOf(page({ accountId: sibling, cursor: next_cursor! }))).resolves.toEqual({
            error: 'invalid_request',
            error_description: 'invalid cursor',
          });
        });

        it("should refuse another user's cursor on their own account (a cursor is bound to its walker)", async () => {
          const neighbourPage = await sut.client.request('user-data.transactions.list', {
            tenantId: tenant.id,
            userId: tenant.neighbour.id,
            accountId: tenant.neighbour.accountIds[0]!,
            limit: 1,
          });

          await expect(
            errorBodyOf(page({ accountId: tenant.neighbour.accountIds[0]!, cursor: neighbourPage.next_cursor! })),
          ).resolves.toEqual({ error: 'invalid_request', error_description: 'invalid cursor' });
        });

        it('should refuse forged, truncated and edited cursors with invalid_request, never a 5xx', async () => {
          const accountId = tenant.owner.accountIds[0]!;
          const { next_cursor } = await page({ accountId, limit: 3 });
          const cursor = next_cursor!;
          const edited = Buffer.from(cursor, 'base64url');
          edited[3]! ^= 0x20;
          const forged = [
            cursor.slice(0, -1),
            cursor.slice(0, 10),
            cursor.slice(1),
            `${cursor}A`,
            edited.toString('base64url'),
            '',
            'not a cursor',
            '%00%00',
            '../../etc/passwd',
            randomBytes(60).toString('base64url'),
            Buffer.from(JSON.stringify({ after: '2026-10-01T12:00:00.000000Z|' + randomUUID() })).toString('base64url'),
            Buffer.from(`\x01${'2099-01-01T00:00:00.000000Z|'}${randomUUID()}`).toString('base64url'),
            "'; DROP TABLE user_data.transactions; --",
          ];

          const bodies = await Promise.all(forged.map((c) => errorBodyOf(page({ accountId, cursor: c }))));

          for (const body of bodies) {
            expect(body).toEqual({ error: 'invalid_request', error_description: 'invalid cursor' });
          }
          await expect(expectedOrder(accountId)).resolves.toHaveLength(TRANSACTIONS);
        });

        it('should refuse an oversized cursor at the contract with invalid_request', async () => {
          await expect(
            errorBodyOf(page({ accountId: tenant.owner.accountIds[0]!, cursor: 'A'.repeat(201) })),
          ).resolves.toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('cursor') });
        });

        it('should refuse a non-UUID account id at the contract with invalid_request', async () => {
          await expect(errorBodyOf(page({ accountId: 'not-a-uuid' }))).resolves.toMatchObject({
            error: 'invalid_request',
          });
        });
      });
    });
  });
});
