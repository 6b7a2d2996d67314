import { Inject, Injectable } from '@nestjs/common';
import { hash } from 'node:crypto';
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

/** Where a code lives in the store: its SHA-256, computed once per exchange (`CodeStore.keyOf`). */
export interface CodeKey {
  readonly hash: string;
}

/**
 * One-time codes in the short-lived store, keyed by their SHA-256 (a dump of the store holds no usable code).
 * `consume` is `GETDEL`: of any number of concurrent exchanges of one code, exactly one wins it. A record is
 * written once and never changed, so what `peek` saw is what the winner consumed (it is not parsed again).
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
    // One transaction, the marker first: a code never exists without the marker that lets its reuse be detected.
    await this.store.putAll([
      { key: StoreKeys.codeGrant(hash), value: JSON.stringify(grant), ttlSeconds: grantTtlSeconds },
      { key: StoreKeys.code(hash), value: JSON.stringify(record), ttlSeconds },
    ]);
  }

  keyOf(code: string): CodeKey {
    return { hash: hashCode(code) };
  }

  async peek(code: CodeKey): Promise<CodeRecord | null> {
    return parse<CodeRecord>(await this.store.get(StoreKeys.code(code.hash)));
  }

  /** True for the one caller that consumed the code. */
  async consume(code: CodeKey): Promise<boolean> {
    return (await this.store.take(StoreKeys.code(code.hash))) !== null;
  }

  async grantOf(code: CodeKey): Promise<CodeGrant | null> {
    return parse<CodeGrant>(await this.store.get(StoreKeys.codeGrant(code.hash)));
  }
}

function hashCode(code: string): string {
  return hash('sha256', code, 'base64url');
}

function parse<T>(raw: string | null): T | null {
  return raw === null ? null : (JSON.parse(raw) as T);
}
