import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { UserEntity } from './user.entity.js';

@Injectable()
export class UsersRepository {
  private readonly users: Repository<UserEntity>;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    this.users = dataSource.getRepository(UserEntity);
  }

  findByLogin(tenantId: string, login: string): Promise<UserEntity | null> {
    return this.users.findOne({ where: { tenantId, login } });
  }

  /** `id` must be a UUID (the column's type); the service checks before asking. */
  findById(tenantId: string, id: string): Promise<UserEntity | null> {
    return this.users.findOne({ where: { tenantId, id } });
  }

  /** Inserts a user and gives its id; a login taken in the tenant fails on the UNIQUE (tenant_id, login). */
  async insert(user: Omit<UserEntity, 'id' | 'createdAt'>): Promise<string> {
    const saved = await this.users.save(this.users.create(user));
    return saved.id;
  }
}
