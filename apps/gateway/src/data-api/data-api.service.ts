import { Inject, Injectable } from '@nestjs/common';
import { HandoverError, MAX_PAGE_SIZE, type AccountsReply, type AuthMethod, type TransactionsReply } from '#contracts';
import { RpcClient } from '#messaging';
import { invalidToken, type VerifiedAccessToken } from './access-token.verifier.js';
import { SessionRecords } from './session-records.repository.js';

export const DEFAULT_PAGE_SIZE = 25;
const MAX_CURSOR_LENGTH = 200;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface MeReply {
  sub: string;
  user: { id: string; login: string; email: string | null; name: string | null };
  session: { id: string; created_at: string; expires_at: string; auth_method: AuthMethod };
  client_id: string;
  scope: string;
  /** This vendor's stored values (the vendor-data work fills it); never another vendor's. */
  vendor_data: Record<string, string>;
}

/** A page request as it arrives in the query string: anything, or nothing. */
export interface PageQuery {
  cursor?: unknown;
  limit?: unknown;
}

/**
 * The data API behind a verified access token. Whose data is read comes from the token alone (its `sub` and
 * tenant), never from the request; another user's or tenant's object is `404`, exactly like a missing one.
 */
@Injectable()
export class DataApiService {
  constructor(
    @Inject(SessionRecords) private readonly sessions: SessionRecords,
    @Inject(RpcClient) private readonly rpc: RpcClient,
  ) {}

  /**
   * `/me`: the live session the token belongs to. Reading it (not only the revocation set) makes a logout
   * immediate on every replica for `/me`: once the token app has deleted the session, it is gone for all.
   */
  async me({ tenant, claims }: VerifiedAccessToken): Promise<MeReply> {
    const session = await this.sessions.find(tenant.id, claims.sid);
    if (!session || session.user.id !== claims.sub || session.tenantId !== tenant.id) {
      throw invalidToken('the session has ended');
    }
    return {
      sub: claims.sub,
      user: {
        id: session.user.id,
        login: session.user.login,
        email: session.user.email ?? null,
        name: session.user.name ?? null,
      },
      session: {
        id: session.sid,
        created_at: session.createdAt,
        expires_at: session.expiresAt,
        auth_method: session.authMethod,
      },
      client_id: claims.client_id,
      scope: claims.scope,
      vendor_data: {},
    };
  }

  accounts({ tenant, claims }: VerifiedAccessToken, requestId: string): Promise<AccountsReply> {
    return this.rpc.request('user-data.accounts.list', { tenantId: tenant.id, userId: claims.sub }, requestId);
  }

  async transactions(
    { tenant, claims }: VerifiedAccessToken,
    accountId: string,
    query: PageQuery,
    requestId: string,
  ): Promise<TransactionsReply> {
    if (!UUID.test(accountId)) throw new HandoverError('not_found', 'no such account');
    return this.rpc.request(
      'user-data.transactions.list',
      {
        tenantId: tenant.id,
        userId: claims.sub,
        accountId: accountId.toLowerCase(),
        cursor: cursorOf(query.cursor),
        limit: pageSizeOf(query.limit),
      },
      requestId,
    );
  }
}

/** `limit`: 25 when absent, clamped to 1..100; anything but one integer is `invalid_request`. */
export function pageSizeOf(value: unknown): number {
  if (value === undefined || value === '') return DEFAULT_PAGE_SIZE;
  if (typeof value !== 'string' || !/^-?\d{1,12}$/.test(value)) {
    throw new HandoverError('invalid_request', 'limit must be an integer');
  }
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Number(value)));
}

/** `cursor`: opaque, as the previous page gave it; its owner checks it belongs to this user and account. */
export function cursorOf(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.length > MAX_CURSOR_LENGTH) {
    throw new HandoverError('invalid_request', 'invalid cursor');
  }
  return value;
}
