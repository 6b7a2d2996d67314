import { Controller, Get, Header, Inject, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { JwksReply } from '#contracts';
import { RpcClient } from '#messaging';
import { GatewayOptions } from '../gateway.options.js';
import { RequestId } from '../http/request-id.decorator.js';
import { TenantDirectory } from '../tenants/tenant-directory.service.js';

export const SUPPORTED_SCOPES = ['profile', 'accounts', 'vendor_data'] as const;
export const TICKET_GRANT_TYPE = 'urn:handover:params:oauth:grant-type:ticket';

/** RFC 8414 metadata and the RFC 7517 key set of each tenant's authorization server. */
@ApiTags('oauth')
@Controller()
export class MetadataController {
  constructor(
    @Inject(TenantDirectory) private readonly tenants: TenantDirectory,
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(GatewayOptions) private readonly options: GatewayOptions,
  ) {}

  // Both spellings: the spec's, and RFC 8414 §3.1's (well-known inserted before the issuer's path), which stock
  // clients such as oauth4webapi and openid-client request.
  @Get(['t/:tenant/.well-known/oauth-authorization-server', '.well-known/oauth-authorization-server/t/:tenant'])
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({ summary: 'Authorization server metadata (RFC 8414)' })
  @ApiOkResponse({ description: 'The metadata document; `issuer` equals the URL prefix exactly.' })
  async discovery(@Param('tenant') slug: string, @RequestId() requestId: string) {
    const tenant = await this.tenants.resolve(slug, requestId);
    const issuer = this.options.issuer(tenant.slug);
    return {
      issuer,
      token_endpoint: `${issuer}/oauth/token`,
      jwks_uri: `${issuer}/jwks`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      scopes_supported: SUPPORTED_SCOPES,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', TICKET_GRANT_TYPE],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    };
  }

  @Get('t/:tenant/jwks')
  @Header('cache-control', 'public, max-age=300')
  @Header('content-type', 'application/jwk-set+json')
  @ApiOperation({ summary: "The tenant's public signing keys (RFC 7517)" })
  async jwks(@Param('tenant') slug: string, @RequestId() requestId: string): Promise<JwksReply> {
    const tenant = await this.tenants.resolve(slug, requestId);
    return this.rpc.request('token.jwks.get', { tenantId: tenant.id }, requestId);
  }
}
