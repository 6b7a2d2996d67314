import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { TenantEntity } from './tenant.entity.js';

@Injectable()
export class TenantsRepository {
  private readonly tenants: Repository<TenantEntity>;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    this.tenants = dataSource.getRepository(TenantEntity);
  }

  findBySlug(slug: string): Promise<TenantEntity | null> {
    return this.tenants.findOne({ where: { slug } });
  }
}
