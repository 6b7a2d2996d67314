import { Controller, Inject } from '@nestjs/common';
import { HandoverError, type GetTenantRequest, type TenantReply } from '#contracts';
import { HandleRequest } from '#messaging';
import { TenantsRepository } from './tenants.repository.js';

@Controller()
export class TenantsHandler {
  constructor(@Inject(TenantsRepository) private readonly tenants: TenantsRepository) {}

  @HandleRequest('user-data.tenant.get')
  async tenant(request: GetTenantRequest): Promise<TenantReply> {
    const tenant = await this.tenants.findBySlug(request.slug);
    if (!tenant) throw new HandoverError('not_found', 'no such tenant');
    return { id: tenant.id, slug: tenant.slug, name: tenant.name };
  }
}
