import { Controller, Inject } from '@nestjs/common';
import type { CreatedVendorReply, CreateVendorRequest, GetVendorRequest, VendorRecord } from '#contracts';
import { HandleRequest } from '#messaging';
import { VendorRegistrations } from './vendor-registrations.service.js';
import { VendorsService } from './vendors.service.js';

@Controller()
export class VendorsHandler {
  constructor(
    @Inject(VendorsService) private readonly vendors: VendorsService,
    @Inject(VendorRegistrations) private readonly registrations: VendorRegistrations,
  ) {}

  @HandleRequest('user-data.vendor.get')
  vendor(request: GetVendorRequest): Promise<VendorRecord> {
    return this.vendors.get(request.tenantId, request.clientId);
  }

  @HandleRequest('user-data.vendor.create')
  create(request: CreateVendorRequest): Promise<CreatedVendorReply> {
    return this.registrations.create(request);
  }
}
