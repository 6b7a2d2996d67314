import type { AppDatabaseSpec } from '#storage';
import { SigningKeyEntity } from './signing-keys/signing-key.entity.js';
import { tokenMigrations } from './migrations/index.js';

export const tokenDatabase: AppDatabaseSpec = {
  app: 'token',
  schema: 'token',
  entities: [SigningKeyEntity],
  migrations: tokenMigrations,
};
