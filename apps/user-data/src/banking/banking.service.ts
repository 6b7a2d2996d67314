import { Inject, Injectable } from '@nestjs/common';
import {
  HandoverError,
  type AccountsReply,
  type ListAccountsRequest,
  type ListTransactionsRequest,
  type TransactionsReply,
} from '#contracts';
import { BankingConnector } from './banking-connector.js';
import { invalidCursor, TransactionCursorCodec } from './transaction-cursor.js';

/** Banking data for the data API, from whichever connector the module binds, paged with bound cursors. */
@Injectable()
export class BankingService {
  constructor(
    @Inject(BankingConnector) private readonly connector: BankingConnector,
    @Inject(TransactionCursorCodec) private readonly cursors: TransactionCursorCodec,
  ) {}

  async accounts(request: ListAccountsRequest): Promise<AccountsReply> {
    return { accounts: await this.connector.listAccounts(request.tenantId, request.userId) };
  }

  /**
   * Checks, in order: the cursor (when sent) verifies for this tenant, user and account, else `invalid_request`;
   * the account is the user's, else `not_found` (the same for another user's, another tenant's and a missing
   * account). Then one page, with a cursor for the next one when more follow.
   */
  async transactions(request: ListTransactionsRequest): Promise<TransactionsReply> {
    const binding = { tenantId: request.tenantId, userId: request.userId, accountId: request.accountId };
    let after: string | null = null;
    if (request.cursor !== undefined) {
      after = this.cursors.decode(binding, request.cursor);
      if (after === null) throw invalidCursor();
    }
    const page = await this.connector.listTransactions(request.tenantId, request.userId, request.accountId, {
      after,
      limit: request.limit,
    });
    if (!page) throw new HandoverError('not_found', 'no such account');
    return {
      transactions: page.transactions,
      next_cursor: page.next === null ? null : this.cursors.encode(binding, page.next),
    };
  }
}
