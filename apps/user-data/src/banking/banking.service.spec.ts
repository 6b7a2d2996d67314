import { beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { Account, ListTransactionsRequest, Transaction } from '#contracts';
import { automock, type Mocked } from '#mocks';
import { BankingConnector } from './banking-connector.js';
import { BankingService } from './banking.service.js';
import { TransactionCursorCodec } from './transaction-cursor.js';

const tenantId = '11111111-1111-4111-8111-111111111111';
const userId = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const accountId = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd';
const otherAccountId = 'ffffffff-ffff-4fff-8fff-ffffffffffff';

const account: Account = {
  id: accountId,
  name: 'Everyday',
  iban: 'DE89370400440532013000',
  currency: 'EUR',
  balance_minor: '9007199254740993',
};

const transaction = (n: number): Transaction => ({
  id: `eeeeeeee-eeee-4eee-8eee-${String(n).padStart(12, '0')}`,
  booked_at: new Date(Date.UTC(2026, 9, 30 - n)).toISOString(),
  amount_minor: String(-100 * n),
  currency: 'EUR',
  description: `payment ${n}`,
});

describe(BankingService.name, () => {
  let sut: BankingService;
  let connector: Mocked<BankingConnector>;
  const cursors = new TransactionCursorCodec(randomBytes(32));

  const request = (extra: Partial<ListTransactionsRequest> = {}): ListTransactionsRequest => ({
    tenantId,
    userId,
    accountId,
    limit: 2,
    ...extra,
  });

  beforeEach(() => {
    connector = automock(BankingConnector, ['listAccounts', 'listTransactions']);
    sut = new BankingService(connector, cursors);
  });

  describe('accounts', () => {
    it("should give the connector's accounts for the tenant and user", async () => {
      connector.listAccounts.mockResolvedValue([account]);

      await expect(sut.accounts({ tenantId, userId })).resolves.toEqual({ accounts: [account] });
      expect(connector.listAccounts).toHaveBeenCalledWith(tenantId, userId);
    });
  });

  describe('transactions', () => {
    it('should ask the connector for the first page and wrap its next position in a bound cursor', async () => {
      connector.listTransactions.mockResolvedValue({ transactions: [transaction(1), transaction(2)], next: 'pos-2' });

      const reply = await sut.transactions(request());

      expect(connector.listTransactions).toHaveBeenCalledWith(tenantId, userId, accountId, { after: null, limit: 2 });
      expect(reply.transactions).toEqual([transaction(1), transaction(2)]);
      expect(reply.next_cursor).toEqual(expect.any(String));
      expect(reply.next_cursor).not.toContain('pos-2');
      expect(cursors.decode({ tenantId, userId, accountId }, reply.next_cursor!)).toBe('pos-2');
    });

    it("should hand the connector the position from the caller's cursor", async () => {
      connector.listTransactions.mockResolvedValue({ transactions: [transaction(3)], next: null });
      const cursor = cursors.encode({ tenantId, userId, accountId }, 'pos-2');

      const reply = await sut.transactions(request({ cursor }));

      expect(connector.listTransactions).toHaveBeenCalledWith(tenantId, userId, accountId, {
        after: 'pos-2',
        limit: 2,
      });
      expect(reply).toEqual({ transactions: [transaction(3)], next_cursor: null });
    });

    it('should answer not_found when the connector does not know the account for this user', async () => {
      connector.listTransactions.mockResolvedValue(null);

      await expect(sut.transactions(request())).rejects.toMatchObject({
        code: 'not_found',
        description: 'no such account',
      });
    });

    it.each([
      ['from another account', () => cursors.encode({ tenantId, userId, accountId: otherAccountId }, 'pos-2')],
      ['from another user', () => cursors.encode({ tenantId, userId: accountId, accountId }, 'pos-2')],
      ['forged', () => Buffer.from('{"after":"pos-2"}').toString('base64url')],
      ['truncated', () => cursors.encode({ tenantId, userId, accountId }, 'pos-2').slice(0, -3)],
      ['empty', () => ''],
    ])('should refuse a cursor %s with invalid_request before asking the connector', async (_case, cursor) => {
      await expect(sut.transactions(request({ cursor: cursor() }))).rejects.toMatchObject({
        code: 'invalid_request',
        description: 'invalid cursor',
      });
      expect(connector.listTransactions).not.toHaveBeenCalled();
    });
  });
});
