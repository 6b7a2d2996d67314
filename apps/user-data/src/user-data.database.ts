import type { AppDatabaseSpec } from '#storage';
import { userDataMigrations } from './migrations/index.js';
import { TenantEntity } from './tenants/tenant.entity.js';

export const userDataDatabase: AppDatabaseSpec = {
  app: 'user-data',
  schema: 'user_data',
  entities: [TenantEntity],
  migrations: userDataMigrations,
};
