import { Inject, Injectable } from '@nestjs/common';
import {
  ACCESS_TOKEN_TTL_SECONDS,
  ACCESS_TOKEN_TYPE,
  accessTokenAudience,
  HandoverError,
  type AccessTokenClaims,
  type TenantReply,
} from '#contracts';
import { withResponseHeaders } from '#http-edge';
import { verifyEs256Jwt, type JsonObject } from '#security';
import { Clock } from '../http/clock.js';
import { KnownTokens } from './known-tokens.js';
import { RevocationSet } from './revocation-set.js';
import { TenantKeys } from './tenant-keys.service.js';

/** Longer than any token we sign; not worth parsing. */
const MAX_TOKEN_LENGTH = 8192;
const CLOCK_TOLERANCE_SECONDS = 5;
const STRING_CLAIMS = ['sub', 'sid', 'client_id', 'jti', 'scope'] as const;

export interface VerifiedAccessToken {
  tenant: TenantReply;
  claims: AccessTokenClaims;
  scopes: ReadonlySet<string>;
}

/** `401 invalid_token` with the RFC 6750 §3 challenge; every verification failure is this one answer. */
export function invalidToken(cause?: unknown): HandoverError {
  return withResponseHeaders(
    new HandoverError('invalid_token', 'the access token is missing, invalid, expired or revoked', { cause }),
    { 'www-authenticate': 'Bearer error="invalid_token"' },
  );
}

/** `403 insufficient_scope` naming the scope the resource needs (RFC 6750 §3.1). */
export function insufficientScope(scope: string): HandoverError {
  return withResponseHeaders(new HandoverError('insufficient_scope', `this resource needs the ${scope} scope`), {
    'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"`,
  });
}

/**
 * Verifies a data-API access token on this replica, without a bus round trip, as a list of checks:
 * 1. `tokenFitsInLimits`: at most 8 KB;
 * 2. `signatureAndClaims` (`verifyEs256Jwt`, node:crypto): a strict compact JWS (base64url, JSON objects, no
 *    `crit`), ES256 only (pinned, so `none`, HS256 keyed with the public key, or any other algorithm is refused),
 *    `typ: at+jwt` (RFC 9068 §4; another kind of JWT is not an access token), signed by
 *    one of the tenant's keys (an unknown `kid` refreshes the keys at most once per cooldown), `iss` the tenant's
 *    issuer and `aud` its data API exactly, `exp`, `iat`, `jti`, `sub`, `sid`, `client_id` and `scope` present,
 *    not expired, not issued in the future nor longer ago than a token lives (5 s of clock tolerance); the
 *    signature's math is skipped for a token this replica relayed or verified before (`KnownTokens`), the rest is not;
 * 3. `claimsAreStrings`: the identifiers are non-empty strings;
 * 4. `notRevoked`: neither its session nor the token itself is in the replica's revocation set.
 * Every failure is the same `invalid_token`; only an unavailable dependency (the keys, the revocation list) is a 503.
 */
@Injectable()
export class AccessTokenVerifier {
  constructor(
    @Inject(TenantKeys) private readonly keys: TenantKeys,
    @Inject(RevocationSet) private readonly revocations: RevocationSet,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(KnownTokens) private readonly known: KnownTokens,
  ) {}

  /** `requestId` names the request on the key fetch the token may need. */
  async verify(token: string, tenant: TenantReply, issuer: string, requestId: string): Promise<VerifiedAccessToken> {
    tokenFitsInLimits(token);
    const payload = await this.signatureAndClaims(token, tenant, issuer, requestId);
    const claims = claimsAreStrings(payload);
    this.notRevoked(tenant, claims);
    return { tenant, claims, scopes: new Set(claims.scope.split(' ').filter(Boolean)) };
  }

  private async signatureAndClaims(
    token: string,
    tenant: TenantReply,
    issuer: string,
    requestId: string,
  ): Promise<JsonObject> {
    const signatureKnownGood = this.known.isKnown(tenant.id, token);
    try {
      const { payload } = await verifyEs256Jwt(
        token,
        this.keys.resolver(tenant.id, requestId),
        {
          typ: ACCESS_TOKEN_TYPE,
          issuer,
          audience: accessTokenAudience(issuer),
          requiredClaims: ['exp', 'iat', 'jti', 'sub', 'sid', 'client_id', 'scope'],
          clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
          // Also refuses an `iat` in the future, and a token used longer after its `iat` than any token lives.
          maxTokenAgeSeconds: ACCESS_TOKEN_TTL_SECONDS,
          nowMs: this.clock.now(),
        },
        { signatureKnownGood },
      );
      if (!signatureKnownGood) this.known.remember(tenant.id, token);
      return payload;
    } catch (err) {
      // The key fetch failing is ours to report as unavailable; anything else about the token is invalid_token.
      if (err instanceof HandoverError) throw err;
      throw invalidToken(err);
    }
  }

  private notRevoked(tenant: TenantReply, claims: AccessTokenClaims): void {
    if (this.revocations.isRevoked(tenant.id, claims.sid, claims.jti)) throw invalidToken('revoked');
  }
}

function tokenFitsInLimits(token: string): void {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw invalidToken('token length');
}

function claimsAreStrings(payload: JsonObject): AccessTokenClaims {
  for (const claim of STRING_CLAIMS) {
    const value = payload[claim];
    if (typeof value !== 'string' || value.length === 0) throw invalidToken(`claim ${claim}`);
  }
  // `iss`, `aud`, `exp` and `iat` were checked with the signature (types and values); `aud` is ours or holds it.
  return payload as unknown as AccessTokenClaims;
}
