import { Inject, Injectable } from '@nestjs/common';
import { HandoverError, type VendorRecord } from '#contracts';
import { VendorsRepository } from './vendors.repository.js';

@Injectable()
export class VendorsService {
  constructor(@Inject(VendorsRepository) private readonly vendors: VendorsRepository) {}

  /** A vendor's registration within the tenant; another tenant's vendor is as unknown as a missing one. */
  async get(tenantId: string, clientId: string): Promise<VendorRecord> {
    const vendor = await this.vendors.findByClientId(tenantId, clientId);
    if (!vendor) throw new HandoverError('not_found', 'no such vendor');
    return {
      id: vendor.id,
      tenantId: vendor.tenantId,
      clientId: vendor.clientId,
      name: vendor.name,
      secretHash: vendor.secretHash,
      pluginUrls: vendor.pluginUrls,
      redirectUris: vendor.redirectUris,
      allowedOrigins: vendor.allowedOrigins,
      config: vendor.config,
      scopes: vendor.scopes,
      pkceRequired: vendor.pkceRequired,
      launchMode: vendor.launchMode,
    };
  }
}
