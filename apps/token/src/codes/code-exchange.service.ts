import { Inject, Injectable } from '@nestjs/common';
import {
  ACCESS_TOKEN_TTL_SECONDS,
  accessTokenAudience,
  CODE_TTL_SECONDS,
  HandoverError,
  type ExchangeCodeRequest,
  type SessionRecord,
  type TokenReply,
} from '#contracts';
import { challengeFor, checkPkce } from '#oauth';
import { AccessTokensService } from '../access-tokens/access-tokens.service.js';
import { Clock } from '../clock.js';
import { RevocationService } from '../revocation/revocation.service.js';
import { ClientAuthenticator } from '../vendors/client-authenticator.js';
import { CodeStore, type CodeBinding, type CodeKey, type CodeRecord } from './code.store.js';

const INVALID_CODE = 'the code is invalid, expired or already used';

/**
 * `grant_type=authorization_code`, as an ordered list of checks (oidc-provider's shape):
 * 1. authenticate the client (a failure never burns the code, which is not even read);
 * 2. in one atomic step of the store (`CodeStore.take`): unless the client is throttled, find the code and take it
 *    if it is bound to this tenant and client, to the redirect URI when one is given, and to the S256 of the
 *    verifier (or to no challenge without one), reading its session alongside. A code bound otherwise stays in
 *    place, so another vendor cannot burn it; of concurrent exchanges exactly one takes it;
 * 3. a missing code that was issued (used, or expired) revokes the token it yielded (RFC 6749 §4.1.2);
 * 4. the session is still live; the token never outlives it;
 * 5. sign the access token.
 * Every code failure is the same public `invalid_grant` (a malformed verifier is `invalid_request`), and counts
 * against the client's failure throttle (`ClientAuthenticator`), except the reuse of a code we issued: that is a
 * retry or a race, not a guess. One round trip to the store in all.
 */
@Injectable()
export class CodeExchangeService {
  constructor(
    @Inject(ClientAuthenticator) private readonly clients: ClientAuthenticator,
    @Inject(CodeStore) private readonly codes: CodeStore,
    @Inject(RevocationService) private readonly revocation: RevocationService,
    @Inject(AccessTokensService) private readonly tokens: AccessTokensService,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async exchange(request: ExchangeCodeRequest, requestId?: string): Promise<TokenReply> {
    const { tenantId, clientId, clientSecret } = request;
    const vendor = await this.clients.authenticateDeferringThrottle(tenantId, clientId, clientSecret, requestId);
    const refuse = async (description = INVALID_CODE): Promise<never> => {
      await this.clients.recordFailure(tenantId, vendor.clientId);
      throw new HandoverError('invalid_grant', description);
    };

    const code = this.codes.keyOf(request.code);
    const binding: CodeBinding = {
      tenantId,
      clientId: vendor.clientId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeVerifier === undefined ? undefined : challengeFor(request.codeVerifier),
    };
    const taken = await this.codes.take(code, binding, this.clients.throttleOf(tenantId, vendor.clientId));
    switch (taken.outcome) {
      case 'guarded':
        throw this.clients.throttled();
      case 'absent':
        // A code we issued (used, or expired; or won by a concurrent exchange) is no guess: refused, but not
        // counted against the client, or one vendor's retry race (N concurrent exchanges, SPEC §9) would throttle
        // all its users for a minute.
        if (await this.revokeIfReused(code, requestId)) throw new HandoverError('invalid_grant', INVALID_CODE);
        return refuse();
      case 'mismatch': {
        // Which binding failed, for the description (the public error stays invalid_grant).
        const bound = taken.record;
        if (bound.tenantId !== tenantId || bound.clientId !== vendor.clientId) return refuse();
        if (request.redirectUri !== undefined && request.redirectUri !== bound.redirectUri) {
          return refuse('redirect_uri does not match the one the code was issued for');
        }
        try {
          checkPkce(bound.codeChallenge, request.codeVerifier);
        } catch (err) {
          await this.clients.recordFailure(tenantId, vendor.clientId);
          throw err;
        }
        return refuse();
      }
      case 'taken':
        if (taken.session === null) return refuse('the session this code belongs to has ended');
        return this.issueToken(request, taken.record, JSON.parse(taken.session) as SessionRecord);
    }
  }

  private async issueToken(
    request: ExchangeCodeRequest,
    code: CodeRecord,
    session: SessionRecord,
  ): Promise<TokenReply> {
    const now = Math.floor(this.clock.now() / 1000);
    const exp = Math.min(now + ACCESS_TOKEN_TTL_SECONDS, Math.floor(Date.parse(session.expiresAt) / 1000));
    const accessToken = await this.tokens.sign(code.tenantId, {
      iss: request.issuer,
      aud: accessTokenAudience(request.issuer),
      sub: session.user.id,
      client_id: code.clientId,
      sid: session.sid,
      jti: code.jti,
      scope: code.scope,
      iat: now,
      exp,
    });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: exp - now, scope: code.scope };
  }

  /**
   * A code seen again after it was consumed: the token it yielded dies (SPEC §9, RFC 6749 §4.1.2). Returns
   * whether the code was one we issued (its grant marker outlives it by the token lifetime). That token is
   * signed around now (a concurrent winner) or before, so it expires within one token lifetime from now; the
   * revocation lasts a code lifetime longer, a margin for a winner's later clock reading or another replica's clock.
   */
  private async revokeIfReused(code: CodeKey, requestId: string | undefined): Promise<boolean> {
    const grant = await this.codes.grantOf(code);
    if (grant) {
      const expiresAt = this.clock.now() + (ACCESS_TOKEN_TTL_SECONDS + CODE_TTL_SECONDS) * 1000;
      await this.revocation.revokeToken(grant.tenantId, grant.jti, expiresAt, requestId);
    }
    return grant !== null;
  }
}
