import type { Account, Transaction } from '#contracts';

/** Which page of an account's transactions to read. */
export interface TransactionPageRequest {
  /**
   * Where the previous page ended, exactly as this connector returned it in `next`; `null` for the first page.
   * It reaches the connector only after the cursor that carried it was verified, so it is always one of this
   * connector's own positions, for the same tenant, user and account.
   */
  after: string | null;
  /** 1–100 (clamped by the contract). */
  limit: number;
}

export interface TransactionPage {
  /** At most `limit` transactions, newest first: `booked_at` descending, then `id` descending. */
  transactions: Transaction[];
  /**
   * The position of the last transaction returned when more follow, `null` on the last page. Any string of at
   * most `MAX_POSITION_BYTES` bytes (UTF-8) that the connector can continue from; callers never interpret it.
   */
  next: string | null;
}

/**
 * The port through which user-data reads banking data. The default adapter, `StoreBankingConnector`, reads the
 * seedable `user_data.accounts` and `user_data.transactions` tables; a host plugs in its core banking system by
 * implementing this class and binding it in `UserDataModule.register` (see docs/banking-connector.md).
 *
 * What every implementation must guarantee:
 *  - **Owner scoping.** Only accounts of `userId` within `tenantId`. An account that does not exist, that
 *    belongs to another user or to another tenant is `null` from `listTransactions`, never an error that tells
 *    the cases apart.
 *  - **Stable order.** Transactions newest first, by `booked_at` then `id` (both descending), the same order on
 *    every call, so a walk over the pages returns every transaction once.
 *  - **Positions.** `next` lets the next call continue exactly after the last transaction returned, and stays
 *    valid while the walk lasts (a keyset position, not an offset, so new bookings do not shift the pages).
 *  - **Amounts as strings** in minor units (balances can exceed 2^53), currencies as ISO 4217 codes.
 *  - Expected failures as `HandoverError` (for example `temporarily_unavailable` when the core system is down);
 *    anything else becomes an opaque 503 with an error id.
 */
export abstract class BankingConnector {
  /** The user's accounts, in a stable order; an empty list for a user without accounts. */
  abstract listAccounts(tenantId: string, userId: string): Promise<Account[]>;

  /** One page of an account's transactions, or `null` when the account is not the user's (or does not exist). */
  abstract listTransactions(
    tenantId: string,
    userId: string,
    accountId: string,
    page: TransactionPageRequest,
  ): Promise<TransactionPage | null>;
}

/** The largest position a connector may return: the cursor that carries it must fit the contract's 200 chars. */
export const MAX_POSITION_BYTES = 96;
