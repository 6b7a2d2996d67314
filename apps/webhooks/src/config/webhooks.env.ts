import { BaseAppEnv, loadEnv, WithDatabase, WithOpsPort } from '#config';
import type { NatsSettings } from '#messaging';

class WebhooksEnv extends WithOpsPort(WithDatabase(BaseAppEnv), 3104) {}

export interface WebhooksConfig {
  logLevel: string;
  opsPort: number;
  shutdownTimeoutMs: number;
  nats: NatsSettings;
  database: { url: string; poolSize: number };
}

export function loadWebhooksConfig(env: NodeJS.ProcessEnv): WebhooksConfig {
  const e = loadEnv(WebhooksEnv, env);
  return {
    logLevel: e.LOG_LEVEL,
    opsPort: e.OPS_PORT,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    nats: {
      url: e.NATS_URL,
      subjectPrefix: e.HANDOVER_SUBJECT_PREFIX,
      requestTimeoutMs: e.BUS_REQUEST_TIMEOUT_MS,
      name: 'webhooks',
    },
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
  };
}
