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
import { checkPkce } from '#oauth';
import { AccessTokensService } from '../access-tokens/access-tokens.service.js';
import { Clock } from '../clock.js';
import { RevocationService } from '../revocation/revocation.service.js';
import { SessionStore } from '../sessions/session.store.js';
import { ClientAuthenticator } from '../vendors/client-authenticator.js';
import { CodeStore, type CodeKey, type CodeRecord } from './code.store.js';

const INVALID_CODE = 'the code is invalid, expired or already used';

/**
 * `grant_type=authorization_code`, as an ordered list of checks (oidc-provider's shape):
 * 1. authenticate the client (a failure never burns the code; the code is read meanwhile, never consumed);
 * 2. find the code; a used one revokes the token it yielded (RFC 6749 §4.1.2);
 * 3. the code belongs to this client (checked before consuming, so another vendor cannot burn it);
 * 4. redirect_uri and PKCE match what the code is bound to;
 * 5. consume it atomically: of concurrent exchanges exactly one wins, and the losers revoke its token;
 * 6. the session is still live (read alongside step 5); the token never outlives it;
 * 7. sign the access token.
 * Every code failure is the same public `invalid_grant`, and counts against the client's failure throttle
 * (`ClientAuthenticator`), except the reuse of a code we issued: that is a retry or a race, not a guess.
 * Two round trips to the store in all: (throttle counter + code), then (consume + session).
 */
@Injectable()
export class CodeExchangeService {
  constructor(
    @Inject(ClientAuthenticator) private readonly clients: ClientAuthenticator,
    @Inject(CodeStore) private readonly codes: CodeStore,
    @Inject(SessionStore) private readonly sessions: SessionStore,
    @Inject(RevocationService) private readonly revocation: RevocationService,
    @Inject(AccessTokensService) private readonly tokens: AccessTokensService,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async exchange(request: ExchangeCodeRequest, requestId?: string): Promise<TokenReply> {
    // The code is read alongside the client's throttle counter (one round trip to the store), but nothing is
    // done with it until the client has authenticated: reading never burns a code.
    const code = this.codes.keyOf(request.code);
    const peeked = this.codes.peek(code);
    peeked.catch(() => undefined); // awaited below, or dropped when authentication fails first
    const vendor = await this.clients.authenticate(request.tenantId, request.clientId, request.clientSecret, requestId);
    const refuse = async (description = INVALID_CODE): Promise<never> => {
      await this.clients.recordFailure(request.tenantId, vendor.clientId);
      throw new HandoverError('invalid_grant', description);
    };

    const bound = await peeked;
    if (!bound) {
      // A code we issued (used, or expired) is no guess: refused, but not counted against the client, or one
      // vendor's retry race (N concurrent exchanges, SPEC §9) would throttle all its users for a minute.
      if (await this.revokeIfReused(code, requestId)) throw new HandoverError('invalid_grant', INVALID_CODE);
      return refuse();
    }
    if (bound.tenantId !== request.tenantId || bound.clientId !== vendor.clientId) return refuse();
    if (request.redirectUri !== undefined && request.redirectUri !== bound.redirectUri) {
      return refuse('redirect_uri does not match the one the code was issued for');
    }
    try {
      checkPkce(bound.codeChallenge, request.codeVerifier);
    } catch (err) {
      await this.clients.recordFailure(request.tenantId, vendor.clientId);
      throw err;
    }

    // The session is read alongside the consume (one round trip): the peeked record already names it, and a
    // record never changes. Its answer only counts for the one exchange that wins the consume.
    const [consumed, session] = await Promise.all([
      this.codes.consume(code),
      this.sessions.find(bound.tenantId, bound.sessionId),
    ]);
    if (!consumed) {
      // Lost the race for a code we issued: not a guess either (see above).
      await this.revokeIfReused(code, requestId);
      throw new HandoverError('invalid_grant', INVALID_CODE);
    }
    if (!session) return refuse('the session this code belongs to has ended');
    return this.issueToken(request, bound, session);
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
