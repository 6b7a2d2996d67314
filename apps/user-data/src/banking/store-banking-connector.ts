import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Account, Transaction } from '#contracts';
import { BankingConnector, type TransactionPage, type TransactionPageRequest } from './banking-connector.js';
import { invalidCursor } from './transaction-cursor.js';

interface TransactionRow extends Transaction {
  /** `booked_at` to the microsecond, as PostgreSQL stores it: a position must be exact, not rounded to ms. */
  position_at: string;
}

/** `<booked_at, microseconds, UTC>|<id>`: the keyset position of one transaction. */
const POSITION =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

// Parameterised SQL rather than entities here: amounts are read as text whatever the driver (pg, PGlite) does
// with bigint, and the page is a keyset query over the index `transactions_page (account_id, booked_at DESC, id DESC)`.
// The output names shadow the columns in ORDER BY, so the query sorts and compares on `t.` (the stored values).
const TRANSACTION_COLUMNS = `
  t.id::text AS id,
  to_char(t.booked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS booked_at,
  t.amount_minor::text AS amount_minor,
  t.currency::text AS currency,
  t.description,
  to_char(t.booked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position_at`;

/**
 * The default banking connector: reads the seedable `user_data.accounts` and `user_data.transactions` tables
 * (the demo's data, or whatever a host loads there). Every query is scoped by tenant, and by owner.
 */
@Injectable()
export class StoreBankingConnector extends BankingConnector {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    super();
  }

  listAccounts(tenantId: string, userId: string): Promise<Account[]> {
    return this.dataSource.query(
      `SELECT a.id::text AS id, a.name, a.iban, a.currency::text AS currency, a.balance_minor::text AS balance_minor
         FROM user_data.accounts a
        WHERE a.tenant_id = $1 AND a.user_id = $2
        ORDER BY a.created_at, a.name, a.id`,
      [tenantId, userId],
    );
  }

  async listTransactions(
    tenantId: string,
    userId: string,
    accountId: string,
    page: TransactionPageRequest,
  ): Promise<TransactionPage | null> {
    const owned: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM user_data.accounts WHERE id = $1 AND tenant_id = $2 AND user_id = $3`,
      [accountId, tenantId, userId],
    );
    if (owned.length === 0) return null;
    const rows = await this.page(tenantId, accountId, page);
    const transactions = rows.slice(0, page.limit);
    const last = transactions[transactions.length - 1];
    const next = rows.length > page.limit && last ? `${last.position_at}|${last.id}` : null;
    return { transactions: transactions.map(({ position_at: _, ...t }) => t), next };
  }

  /** One row more than asked for, which tells whether another page follows. */
  private page(tenantId: string, accountId: string, page: TransactionPageRequest): Promise<TransactionRow[]> {
    if (page.after === null) {
      return this.dataSource.query(
        `SELECT ${TRANSACTION_COLUMNS} FROM user_data.transactions t
          WHERE t.tenant_id = $1 AND t.account_id = $2
          ORDER BY t.booked_at DESC, t.id DESC
          LIMIT $3`,
        [tenantId, accountId, page.limit + 1],
      );
    }
    const position = POSITION.exec(page.after);
    // Unreachable with a verified cursor (positions come from this class); kept as a guard all the same.
    if (!position) throw invalidCursor();
    return this.dataSource.query(
      `SELECT ${TRANSACTION_COLUMNS} FROM user_data.transactions t
        WHERE t.tenant_id = $1 AND t.account_id = $2 AND (t.booked_at, t.id) < ($4::timestamptz, $5::uuid)
        ORDER BY t.booked_at DESC, t.id DESC
        LIMIT $3`,
      [tenantId, accountId, page.limit + 1, position[1], position[2]],
    );
  }
}
