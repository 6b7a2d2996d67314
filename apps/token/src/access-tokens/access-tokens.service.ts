import { Inject, Injectable } from '@nestjs/common';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { ACCESS_TOKEN_ALG, ACCESS_TOKEN_TYPE, accessTokenAudience, type AccessTokenClaims } from '#contracts';
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
   * type, another issuer or audience, missing claims, or (unless `allowExpired`) expired.
   */
  async verify(
    tenantId: string,
    issuer: string,
    token: string,
    allowExpired = false,
  ): Promise<AccessTokenClaims | null> {
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg !== ACCESS_TOKEN_ALG || typeof header.kid !== 'string' || header.kid.length > 128) return null;
      const key = await this.keys.verificationKey(tenantId, header.kid);
      if (!key) return null;
      const { payload } = await jwtVerify<AccessTokenClaims>(token, key, {
        algorithms: [ACCESS_TOKEN_ALG],
        typ: ACCESS_TOKEN_TYPE,
        issuer,
        audience: accessTokenAudience(issuer),
        requiredClaims: ['exp', 'iat', 'jti', 'sub', 'sid', 'client_id', 'scope'],
        clockTolerance: 5,
        currentDate: allowExpired ? new Date(0) : new Date(this.clock.now()),
      });
      return payload;
    } catch {
      return null;
    }
  }
}
