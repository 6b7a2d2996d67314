import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { ApiKeyEntity } from './api-key.entity.js';

@Injectable()
export class ApiKeysRepository {
  private readonly keys: Repository<ApiKeyEntity>;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    this.keys = dataSource.getRepository(ApiKeyEntity);
  }

  /**
   * The one lookup without a tenant: a key is presented before anyone knows its tenant (and an admin key has
   * none), so the key itself, by its keyed hash, selects the row and with it the tenant.
   */
  findByHash(keyHash: string): Promise<ApiKeyEntity | null> {
    return this.keys.findOne({ where: { keyHash } });
  }
}
