import { Inject, Injectable } from '@nestjs/common';
import { RpcClient } from '#messaging';
import { GatewayOptions } from '../gateway.options.js';
import { TenantDirectory } from '../tenants/tenant-directory.service.js';
import type {
  CreatedTenant,
  CreatedUser,
  CreatedVendor,
  CreateTenantBody,
  CreateUserBody,
  CreateVendorBody,
} from './admin.dto.js';

/**
 * The admin API (minimal: tenants, vendors, users). The admin key has been checked (`AdminKeyGuard`) and the
 * body validated against its DTO; user-data applies the rules beyond the shapes and answers `conflict` for a
 * taken slug, client id or login.
 */
@Injectable()
export class AdminService {
  constructor(
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(TenantDirectory) private readonly tenants: TenantDirectory,
    @Inject(GatewayOptions) private readonly options: GatewayOptions,
  ) {}

  async createTenant(body: CreateTenantBody, requestId: string): Promise<CreatedTenant> {
    const tenant = await this.rpc.request(
      'user-data.tenant.create',
      { slug: body.slug, name: body.name, outboundNetwork: body.outbound_network },
      requestId,
    );
    return {
      id: tenant.id,
      slug: tenant.slug,
      name: tenant.name,
      issuer: this.options.issuer(tenant.slug),
      host_key: tenant.hostKey,
    };
  }

  async createVendor(slug: string, body: CreateVendorBody, requestId: string): Promise<CreatedVendor> {
    const tenant = await this.tenants.resolve(slug, requestId);
    const vendor = await this.rpc.request(
      'user-data.vendor.create',
      {
        tenantId: tenant.id,
        clientId: body.client_id,
        name: body.name,
        pluginUrls: body.plugin_urls,
        redirectUris: body.redirect_uris ?? [],
        allowedOrigins: body.allowed_origins,
        config: body.config ?? {},
        scopes: body.scopes,
        pkceRequired: body.pkce_required ?? false,
        launchMode: body.launch_mode ?? 'redirect',
      },
      requestId,
    );
    return { client_id: vendor.clientId, client_secret: vendor.clientSecret };
  }

  async createUser(slug: string, body: CreateUserBody, requestId: string): Promise<CreatedUser> {
    const tenant = await this.tenants.resolve(slug, requestId);
    const user = await this.rpc.request(
      'user-data.user.create',
      { tenantId: tenant.id, login: body.login, email: body.email, name: body.name, password: body.password },
      requestId,
    );
    return { id: user.id, login: user.login };
  }
}
