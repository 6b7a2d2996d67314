import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import type { OutboundNetwork } from '#contracts';
import { ApiKeyEntity } from '../api-keys/api-key.entity.js';
import { TenantEntity } from './tenant.entity.js';

@Injectable()
export class TenantsRepository {
  private readonly tenants: Repository<TenantEntity>;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    this.tenants = dataSource.getRepository(TenantEntity);
  }

  findBySlug(slug: string): Promise<TenantEntity | null> {
    return this.tenants.findOne({ where: { slug } });
  }

  /**
   * Inserts the tenant and its first host key (by its keyed hash) in one transaction: both or neither. A taken
   * slug fails on the UNIQUE constraint (the caller maps it), so two concurrent creations cannot both win.
   */
  createWithHostKey(
    slug: string,
    name: string,
    outboundNetwork: OutboundNetwork,
    hostKeyHash: string,
  ): Promise<TenantEntity> {
    return this.dataSource.transaction(async (tx) => {
      const tenants = tx.getRepository(TenantEntity);
      const tenant = await tenants.save(tenants.create({ slug, name, outboundNetwork }));
      await tx
        .getRepository(ApiKeyEntity)
        .insert({ tenantId: tenant.id, kind: 'host', keyHash: hostKeyHash, label: `${slug} host` });
      return tenant;
    });
  }
}
