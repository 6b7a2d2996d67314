import { Controller, Inject } from '@nestjs/common';
import type { GetVendorRequest, VendorRecord } from '#contracts';
import { HandleRequest } from '#messaging';
import { VendorsService } from './vendors.service.js';

@Controller()
export class VendorsHandler {
  constructor(@Inject(VendorsService) private readonly vendors: VendorsService) {}

  @HandleRequest('user-data.vendor.get')
  vendor(request: GetVendorRequest): Promise<VendorRecord> {
    return this.vendors.get(request.tenantId, request.clientId);
  }
}
