import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  BACKCHANNEL_LOGOUT_EVENT,
  LOGOUT_TOKEN_TTL_SECONDS,
  LOGOUT_TOKEN_TYPE,
  type LogoutTokenReply,
  type SignLogoutTokenRequest,
} from '#contracts';
import { Clock } from '../clock.js';
import { SigningKeysService } from '../signing-keys/signing-keys.service.js';

/**
 * OIDC Back-Channel Logout 1.0 §2.4 logout tokens, one per delivery attempt (a fresh `jti`, `iat` and a 2 min
 * `exp`, so a retried attempt never replays a token), signed like access tokens with the tenant's ES256 key: the
 * vendor verifies them against the same JWKS. Never a `nonce` (§2.4: its presence makes the RP reject the token).
 */
@Injectable()
export class LogoutTokensService {
  constructor(
    @Inject(SigningKeysService) private readonly keys: SigningKeysService,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async sign(request: SignLogoutTokenRequest): Promise<LogoutTokenReply> {
    const iat = Math.floor(this.clock.now() / 1000);
    const logoutToken = await this.keys.signJws(request.tenantId, LOGOUT_TOKEN_TYPE, {
      iss: request.issuer,
      aud: request.audience,
      iat,
      exp: iat + LOGOUT_TOKEN_TTL_SECONDS,
      jti: randomUUID(),
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      sub: request.sub,
      sid: request.sid,
    });
    return { logoutToken };
  }
}
