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

  /** Inserts a vendor; a client id taken in the tenant fails on the UNIQUE (tenant_id, client_id) constraint. */
  async insert(vendor: Omit<VendorEntity, 'id' | 'createdAt'>): Promise<void> {
    await this.vendors.save(this.vendors.create(vendor));
  }
}
