import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In, type Repository } from 'typeorm';
import { SigningKeyEntity } from './signing-key.entity.js';

@Injectable()
export class SigningKeyRepository {
  private readonly keys: Repository<SigningKeyEntity>;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    this.keys = dataSource.getRepository(SigningKeyEntity);
  }

  /** Keys a verifier may still meet: the active one and those retiring after a rotation. */
  findPublishable(tenantId: string): Promise<SigningKeyEntity[]> {
    return this.keys.find({ where: { tenantId, status: In(['active', 'retiring']) }, order: { createdAt: 'DESC' } });
  }

  /** Inserts an active key unless the tenant already has one (a concurrent caller won); true when inserted. */
  async insertActiveIfNone(key: Omit<SigningKeyEntity, 'createdAt' | 'status'>): Promise<boolean> {
    const result = await this.keys
      .createQueryBuilder()
      .insert()
      .values({ ...key, status: 'active' })
      .orIgnore()
      .execute();
    return (result.identifiers?.filter(Boolean).length ?? 0) > 0;
  }
}
