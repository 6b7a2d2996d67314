import { Inject, Injectable } from '@nestjs/common';
import { ACCESS_TOKEN_TYPE, accessTokenAudience, type AccessTokenClaims } from '#contracts';
import { JwsInvalid, verifyEs256Jwt } from '#security';
import { Clock } from '../clock.js';
import { SigningKeysService } from '../signing-keys/signing-keys.service.js';

/** Signs and verifies RFC 9068 `at+jwt` access tokens with the tenant's ES256 key. */
@Injectable()
export class AccessTokensService {
  constructor(
    @Inject(SigningKeysService) private readonly keys: SigningKeysService,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async sign(tenantId: string, claims: AccessTokenClaims): Promise<string> {
    return this.keys.signJws(tenantId, ACCESS_TOKEN_TYPE, { ...claims });
  }

  /**
   * The claims of a token this tenant issued, or `null` for anything else: bad signature, another algorithm or
   * type, another issuer or audience, missing claims, or (unless `allowExpired`) expired. Verified as the
   * gateway verifies `/me` (`verifyEs256Jwt`, node:crypto). The keys being unavailable is not "inactive": it throws
   * (→ 503), so a revocation is never answered as done while it could not be checked.
   */
  async verify(
    tenantId: string,
    issuer: string,
    token: string,
    allowExpired = false,
  ): Promise<AccessTokenClaims | null> {
    try {
      const { payload } = await verifyEs256Jwt(
        token,
        async (header) => {
          const kid = header.kid;
          if (typeof kid !== 'string' || kid.length > 128) throw new JwsInvalid('no usable kid');
          const key = await this.keys.verificationKey(tenantId, kid);
          if (!key) throw new JwsInvalid('unknown kid');
          return key;
        },
        {
          typ: ACCESS_TOKEN_TYPE,
          issuer,
          audience: accessTokenAudience(issuer),
          requiredClaims: ['exp', 'iat', 'jti', 'sub', 'sid', 'client_id', 'scope'],
          clockToleranceSeconds: 5,
          nowMs: allowExpired ? 0 : this.clock.now(),
        },
      );
      return payload as unknown as AccessTokenClaims;
    } catch (err) {
      // A token that is not ours, or no longer valid, is `null`; the keys being unavailable is an error (503).
      if (err instanceof JwsInvalid) return null;
      throw err;
    }
  }
}
