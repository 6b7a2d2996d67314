import { BaseAppEnv, loadEnv, WithDatabase, WithOpsPort, WithRedis, WithSecretKey } from '#config';
import { decodeSecretKey } from '#security';
import type { NatsSettings } from '#messaging';

class TokenEnv extends WithOpsPort(WithSecretKey(WithDatabase(WithRedis(BaseAppEnv))), 3101) {}

/** The token app's configuration in distributed mode, validated once from the environment. */
export interface TokenConfig {
  logLevel: string;
  opsPort: number;
  shutdownTimeoutMs: number;
  nats: NatsSettings;
  redis: { url: string; keyPrefix: string };
  database: { url: string; poolSize: number };
  secretKey: Buffer;
}

export function loadTokenConfig(env: NodeJS.ProcessEnv): TokenConfig {
  const e = loadEnv(TokenEnv, env);
  return {
    logLevel: e.LOG_LEVEL,
    opsPort: e.OPS_PORT,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    nats: {
      url: e.NATS_URL,
      subjectPrefix: e.HANDOVER_SUBJECT_PREFIX,
      requestTimeoutMs: e.BUS_REQUEST_TIMEOUT_MS,
      name: 'token',
    },
    redis: { url: e.REDIS_URL, keyPrefix: e.HANDOVER_REDIS_PREFIX },
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
    secretKey: decodeSecretKey(e.HANDOVER_SECRET_KEY),
  };
}
