import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { VendorEntity } from './vendor.entity.js';

@Injectable()
export class VendorsRepository {
  private readonly vendors: Repository<VendorEntity>;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    this.vendors = dataSource.getRepository(VendorEntity);
  }

  findByClientId(tenantId: string, clientId: string): Promise<VendorEntity | null> {
    return this.vendors.findOne({ where: { tenantId, clientId } });
  }
}
