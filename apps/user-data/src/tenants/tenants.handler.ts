import { Controller, Inject } from '@nestjs/common';
import type { CreatedTenantReply, CreateTenantRequest, GetTenantRequest, TenantReply } from '#contracts';
import { HandleRequest, type BusContext } from '#messaging';
import { TenantsService } from './tenants.service.js';

@Controller()
export class TenantsHandler {
  constructor(@Inject(TenantsService) private readonly tenants: TenantsService) {}

  @HandleRequest('user-data.tenant.get')
  tenant(request: GetTenantRequest): Promise<TenantReply> {
    return this.tenants.get(request.slug);
  }

  @HandleRequest('user-data.tenant.create')
  create(request: CreateTenantRequest, context: BusContext): Promise<CreatedTenantReply> {
    return this.tenants.create(request, context.requestId);
  }
}
