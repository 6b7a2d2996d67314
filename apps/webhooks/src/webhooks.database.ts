import type { AppDatabaseSpec } from '#storage';
import { webhooksMigrations } from './migrations/index.js';

export const webhooksDatabase: AppDatabaseSpec = {
  app: 'webhooks',
  schema: 'webhooks',
  entities: [],
  migrations: webhooksMigrations,
};
