import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { StoreKeys } from '#contracts';
import { ShortLivedStore } from '#storage';

/** What a one-time code is bound to. */
export interface CodeRecord {
  tenantId: string;
  /** The session's handle (never its id: see session-handle.ts). */
  sessionId: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  codeChallenge?: string;
  /** The id of the one access token this code can yield, fixed at issue so a reuse can revoke it. */
  jti: string;
}

/** The grant a code leads to, kept after the code is consumed (the "consumed" marker of SPEC §9). */
export interface CodeGrant {
  tenantId: string;
  jti: string;
  /** When the token this code yields expires at the latest. */
  expiresAt: number;
}

/**
 * One-time codes in the short-lived store, keyed by their SHA-256 (a dump of the store holds no usable code).
 * `consume` is `GETDEL`: of any number of concurrent exchanges of one code, exactly one gets the record.
 */
@Injectable()
export class CodeStore {
  constructor(@Inject(ShortLivedStore) private readonly store: ShortLivedStore) {}

  async save(
    code: string,
    record: CodeRecord,
    ttlSeconds: number,
    grant: CodeGrant,
    grantTtlSeconds: number,
  ): Promise<void> {
    const hash = hashCode(code);
    // The marker first: a code must never exist without the marker that lets its reuse be detected.
    await this.store.put(StoreKeys.codeGrant(hash), JSON.stringify(grant), grantTtlSeconds);
    await this.store.put(StoreKeys.code(hash), JSON.stringify(record), ttlSeconds);
  }

  async peek(code: string): Promise<CodeRecord | null> {
    return parse<CodeRecord>(await this.store.get(StoreKeys.code(hashCode(code))));
  }

  async consume(code: string): Promise<CodeRecord | null> {
    return parse<CodeRecord>(await this.store.take(StoreKeys.code(hashCode(code))));
  }

  async grantOf(code: string): Promise<CodeGrant | null> {
    return parse<CodeGrant>(await this.store.get(StoreKeys.codeGrant(hashCode(code))));
  }
}

function hashCode(code: string): string {
  return createHash('sha256').update(code).digest('base64url');
}

function parse<T>(raw: string | null): T | null {
  return raw === null ? null : (JSON.parse(raw) as T);
}
