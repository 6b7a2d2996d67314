import type { AppDatabaseSpec } from '#storage';
import { ApiKeyEntity } from './api-keys/api-key.entity.js';
import { userDataMigrations } from './migrations/index.js';
import { TenantEntity } from './tenants/tenant.entity.js';
import { UserEntity } from './users/user.entity.js';
import { VendorEntity } from './vendors/vendor.entity.js';

export const userDataDatabase: AppDatabaseSpec = {
  app: 'user-data',
  schema: 'user_data',
  // Accounts and transactions have no entities: StoreBankingConnector reads them with parameterised SQL.
  entities: [TenantEntity, ApiKeyEntity, VendorEntity, UserEntity],
  migrations: userDataMigrations,
};
