import { type BaseAppConfig, baseAppConfig, BaseAppEnv, loadEnv, WithDatabase, WithOpsPort } from '#config';

class WebhooksEnv extends WithOpsPort(WithDatabase(BaseAppEnv), 3104) {}

export interface WebhooksConfig extends BaseAppConfig {
  opsPort: number;
  database: { url: string; poolSize: number };
}

export function loadWebhooksConfig(env: NodeJS.ProcessEnv): WebhooksConfig {
  const e = loadEnv(WebhooksEnv, env);
  return {
    ...baseAppConfig(e, 'webhooks'),
    opsPort: e.OPS_PORT,
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
  };
}
