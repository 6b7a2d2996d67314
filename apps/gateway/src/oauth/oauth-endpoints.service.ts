import { Inject, Injectable } from '@nestjs/common';
import { HandoverError, type IntrospectionReply, type TenantReply, type TokenReply } from '#contracts';
import { RpcClient } from '#messaging';
import { KnownTokens } from '../data-api/known-tokens.js';
import { GatewayOptions } from '../gateway.options.js';
import { TenantDirectory } from '../tenants/tenant-directory.service.js';
import {
  boundedValue,
  challengeClient,
  clientCredentials,
  readFormParams,
  requireParam,
  type OAuthRequest,
} from './oauth-request.js';

/** The longest code and token the token app accepts (its contract's limits); longer ones name nothing. */
const MAX_CODE_LENGTH = 512;
const MAX_TOKEN_LENGTH = 8192;
const MAX_HINT_LENGTH = 64;

/**
 * The tenant's OAuth endpoints at the edge, each an ordered list of named checks (oidc-provider's shape). The
 * gateway checks the request's form and reads the client's credentials; the token app authenticates the client
 * and does the work. A failed client authentication gets its `WWW-Authenticate` challenge here.
 */
@Injectable()
export class OAuthEndpoints {
  constructor(
    @Inject(TenantDirectory) private readonly tenants: TenantDirectory,
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(GatewayOptions) private readonly options: GatewayOptions,
    @Inject(KnownTokens) private readonly knownTokens: KnownTokens,
  ) {}

  /**
   * `POST /t/{tenant}/oauth/token` (RFC 6749 §3.2):
   * 1. `tenant`: the authorization server exists;
   * 2. `formBody`: form-encoded, no parameter repeated;
   * 3. `grantType`: present, and one we support (`authorization_code`; the ticket grant comes with SSO2);
   * 4. `client`: credentials by exactly one method;
   * 5. `authorizationCode`: `code` present; the token app authenticates the client, consumes the code and signs.
   * The token it answers is one this replica's data API knows to be authentic (`KnownTokens`).
   */
  async token(slug: string, request: OAuthRequest): Promise<TokenReply> {
    const tenant = await this.tenants.resolve(slug, request.requestId);
    const issuer = this.options.issuer(tenant.slug);
    return this.challenged(issuer, async () => {
      const params = readFormParams(request);
      const grantType = requireParam(params, 'grant_type');
      if (grantType !== 'authorization_code') {
        throw new HandoverError('unsupported_grant_type', 'the grant type is not supported');
      }
      const client = clientCredentials(request, params);
      const code = requireParam(params, 'code');
      const reply = await this.rpc.request(
        'token.code.exchange',
        {
          tenantId: tenant.id,
          issuer,
          clientId: client.clientId,
          clientSecret: client.clientSecret,
          code: boundedValue(code, MAX_CODE_LENGTH),
          redirectUri: params.redirect_uri,
          codeVerifier: params.code_verifier,
        },
        request.requestId,
      );
      this.knownTokens.remember(tenant.id, reply.access_token);
      return reply;
    });
  }

  /**
   * `POST /t/{tenant}/oauth/introspect` (RFC 7662):
   * 1. `tenant`; 2. `formBody`; 3. `token` present; 4. `client`: authentication is required (§2.1);
   * 5. the token app answers, `{active: false}` and nothing else for anything inactive or not the client's.
   */
  async introspect(slug: string, request: OAuthRequest): Promise<IntrospectionReply> {
    const tenant = await this.tenants.resolve(slug, request.requestId);
    const issuer = this.options.issuer(tenant.slug);
    return this.challenged(issuer, async () => {
      const params = readFormParams(request);
      const token = requireParam(params, 'token');
      const client = clientCredentials(request, params);
      return this.rpc.request(
        'token.introspect',
        { ...this.authenticated(tenant, issuer, client), token: boundedValue(token, MAX_TOKEN_LENGTH) },
        request.requestId,
      );
    });
  }

  /**
   * `POST /t/{tenant}/oauth/revoke` (RFC 7009):
   * 1. `tenant`; 2. `formBody`; 3. `token` present; 4. `client`;
   * 5. the token app revokes the client's own token; an invalid or unknown token is a success (§2.2), another
   *    client's token is refused (`unauthorized_client`, SPEC §9) and stays active. The answer is an empty 200.
   */
  async revoke(slug: string, request: OAuthRequest): Promise<void> {
    const tenant = await this.tenants.resolve(slug, request.requestId);
    const issuer = this.options.issuer(tenant.slug);
    await this.challenged(issuer, async () => {
      const params = readFormParams(request);
      const token = requireParam(params, 'token');
      const client = clientCredentials(request, params);
      const hint = params.token_type_hint;
      await this.rpc.request(
        'token.revoke',
        {
          ...this.authenticated(tenant, issuer, client),
          token: boundedValue(token, MAX_TOKEN_LENGTH),
          // A hint is only a hint (§2.1); one we could not even carry is dropped.
          tokenTypeHint: hint !== undefined && hint.length <= MAX_HINT_LENGTH ? hint : undefined,
        },
        request.requestId,
      );
    });
  }

  private authenticated(tenant: TenantReply, issuer: string, client: { clientId: string; clientSecret: string }) {
    return { tenantId: tenant.id, issuer, clientId: client.clientId, clientSecret: client.clientSecret };
  }

  private async challenged<T>(issuer: string, endpoint: () => Promise<T>): Promise<T> {
    try {
      return await endpoint();
    } catch (err) {
      throw challengeClient(err, issuer);
    }
  }
}
