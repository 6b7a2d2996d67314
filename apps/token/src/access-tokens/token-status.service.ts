import { Inject, Injectable } from '@nestjs/common';
import {
  HandoverError,
  type IntrospectionReply,
  type IntrospectRequest,
  type RevokeReply,
  type RevokeRequest,
} from '#contracts';
import { RevocationService } from '../revocation/revocation.service.js';
import { SessionStore } from '../sessions/session.store.js';
import { ClientAuthenticator } from '../vendors/client-authenticator.js';
import { AccessTokensService } from './access-tokens.service.js';

const INACTIVE: IntrospectionReply = { active: false };

/** RFC 7662 introspection and RFC 7009 revocation of access tokens, for the vendor that holds them. */
@Injectable()
export class TokenStatusService {
  constructor(
    @Inject(ClientAuthenticator) private readonly clients: ClientAuthenticator,
    @Inject(AccessTokensService) private readonly tokens: AccessTokensService,
    @Inject(RevocationService) private readonly revocation: RevocationService,
    @Inject(SessionStore) private readonly sessions: SessionStore,
  ) {}

  /**
   * Active only when: the caller authenticated, the token verifies for this tenant, it was issued to the caller,
   * it is not revoked and its session is live. Anything else is exactly `{ active: false }` (RFC 7662 §2.2).
   */
  async introspect(request: IntrospectRequest, requestId?: string): Promise<IntrospectionReply> {
    const vendor = await this.clients.authenticate(request.tenantId, request.clientId, request.clientSecret, requestId);
    const claims = await this.tokens.verify(request.tenantId, request.issuer, request.token);
    if (!claims || claims.client_id !== vendor.clientId) return INACTIVE;
    if (await this.revocation.isTokenRevoked(claims.jti)) return INACTIVE;
    if (!(await this.sessions.find(request.tenantId, claims.sid))) return INACTIVE;
    return {
      active: true,
      scope: claims.scope,
      client_id: claims.client_id,
      sub: claims.sub,
      sid: claims.sid,
      exp: claims.exp,
      iat: claims.iat,
      iss: claims.iss,
      aud: claims.aud,
      jti: claims.jti,
      token_type: 'Bearer',
    };
  }

  /**
   * Revokes the caller's own token at once. A token that does not verify (garbage, expired, another tenant's)
   * is answered as revoked (RFC 7009 §2.2: no oracle); another vendor's valid token is refused with
   * `unauthorized_client` and stays active (SPEC §9).
   */
  async revoke(request: RevokeRequest, requestId?: string): Promise<RevokeReply> {
    const vendor = await this.clients.authenticate(request.tenantId, request.clientId, request.clientSecret, requestId);
    const claims = await this.tokens.verify(request.tenantId, request.issuer, request.token, true);
    if (!claims) return { revoked: false };
    if (claims.client_id !== vendor.clientId) {
      throw new HandoverError('unauthorized_client', 'the token was not issued to this client');
    }
    await this.revocation.revokeToken(request.tenantId, claims.jti, claims.exp * 1000, requestId);
    return { revoked: true };
  }
}
