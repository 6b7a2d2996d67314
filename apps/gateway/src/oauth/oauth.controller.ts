import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBasicAuth,
  ApiBody,
  ApiConsumes,
  ApiExcludeEndpoint,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { HandoverError, type IntrospectionReply, type TokenReply } from '#contracts';
import { withResponseHeaders } from '#http-edge';
import { NoStore } from '../http/no-store.header.js';
import { RequestId } from '../http/request-id.decorator.js';
import { OAuthEndpoints } from './oauth-endpoints.service.js';

const FORM = 'application/x-www-form-urlencoded';

function formSchema(properties: Record<string, string>, required: string[]) {
  return {
    schema: {
      type: 'object' as const,
      required,
      properties: Object.fromEntries(
        Object.entries(properties).map(([name, description]) => [name, { type: 'string', description }]),
      ),
    },
  };
}

const CLIENT_POST = {
  client_id: 'client_secret_post: the vendor’s client_id (or use HTTP Basic, not both)',
  client_secret: 'client_secret_post: the vendor’s secret',
};

/**
 * The tenant's OAuth 2 endpoints: token (RFC 6749), introspection (RFC 7662), revocation (RFC 7009); every answer
 * `no-store` (`@NoStore()` on each route, errors included).
 */
@ApiTags('oauth')
@ApiBasicAuth('client')
@ApiConsumes(FORM)
@ApiBadRequestResponse({ description: 'RFC 6749 §5.2 error, e.g. `invalid_request`, `invalid_grant`.' })
@ApiUnauthorizedResponse({ description: '`invalid_client`, with `WWW-Authenticate: Basic`.' })
@Controller('t/:tenant/oauth')
export class OAuthController {
  constructor(@Inject(OAuthEndpoints) private readonly endpoints: OAuthEndpoints) {}

  @Post('token')
  @NoStore()
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a code for an access token (`authorization_code`)' })
  @ApiBody(
    formSchema(
      {
        grant_type: '`authorization_code`',
        code: 'The one-time code',
        redirect_uri: 'Optional; when sent, must equal the URI the code is bound to',
        code_verifier: 'PKCE verifier (RFC 7636) when the code was issued with a challenge',
        ...CLIENT_POST,
      },
      ['grant_type', 'code'],
    ),
  )
  @ApiOkResponse({ description: '`{access_token, token_type: "Bearer", expires_in: 1800, scope}`' })
  token(
    @Param('tenant') tenant: string,
    @Headers('content-type') contentType: string | undefined,
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
    @RequestId() requestId: string,
  ): Promise<TokenReply> {
    return this.endpoints.token(tenant, { contentType, authorization, body, requestId });
  }

  @Post('introspect')
  @NoStore()
  @HttpCode(200)
  @ApiOperation({ summary: 'Introspect an access token (RFC 7662); client authentication required' })
  @ApiBody(formSchema({ token: 'The access token', token_type_hint: 'Ignored', ...CLIENT_POST }, ['token']))
  @ApiOkResponse({ description: 'The token’s claims with `active: true`, or exactly `{"active": false}`.' })
  introspect(
    @Param('tenant') tenant: string,
    @Headers('content-type') contentType: string | undefined,
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
    @RequestId() requestId: string,
  ): Promise<IntrospectionReply> {
    return this.endpoints.introspect(tenant, { contentType, authorization, body, requestId });
  }

  @Post('revoke')
  @NoStore()
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke one of the client’s access tokens (RFC 7009)' })
  @ApiBody(formSchema({ token: 'The access token', token_type_hint: 'Optional hint', ...CLIENT_POST }, ['token']))
  @ApiOkResponse({ description: 'Empty body: revoked, or the token was invalid already (no oracle).' })
  revoke(
    @Param('tenant') tenant: string,
    @Headers('content-type') contentType: string | undefined,
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
    @RequestId() requestId: string,
  ): Promise<void> {
    return this.endpoints.revoke(tenant, { contentType, authorization, body, requestId });
  }

  /** RFC 6749 §3.2: the token endpoint takes POST only (and so do the other two). */
  @Get(['token', 'introspect', 'revoke'])
  @NoStore()
  @ApiExcludeEndpoint()
  notAllowed(): never {
    throw withResponseHeaders(new HandoverError('method_not_allowed', 'use POST'), { allow: 'POST' });
  }
}
