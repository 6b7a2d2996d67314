import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { loadEnv, LogLevels, toInt, type LogLevel } from '#config';
import { webhookPolicyFromEnv, type WebhookPolicy } from '../apps/webhooks/src/index.js';

/** Embedded mode reads only these; it never looks for NATS, Redis or PostgreSQL. */
class EmbeddedEnv {
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  @IsString()
  @Matches(/^(|https?:\/\/[^\s/]+(\/[^\s]*)?)$/, { message: 'PUBLIC_BASE_URL must be an http(s) URL' })
  PUBLIC_BASE_URL = '';

  @IsString()
  HANDOVER_DATA_DIR = './data';

  @IsIn(['0', '1'])
  HANDOVER_DEMO: '0' | '1' = '1';

  /** `1`: the gateway (the HTTP edge) on a worker thread of its own; `0`: one event loop; see embedded.ts. */
  @IsIn(['0', '1'])
  HANDOVER_GATEWAY_THREAD: '0' | '1' = '1';

  @IsIn(LogLevels)
  LOG_LEVEL: LogLevel = 'info';

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(10 * 1024 * 1024)
  BODY_LIMIT_BYTES = 64 * 1024;

  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  @Max(60_000)
  SHUTDOWN_TIMEOUT_MS = 10_000;

  /** Optional: otherwise a key is generated once and kept in `<data dir>/secret.key`. */
  @IsString()
  @Matches(/^(|[A-Za-z0-9_-]{43,})$/, { message: 'HANDOVER_SECRET_KEY must be at least 32 random bytes, base64url' })
  HANDOVER_SECRET_KEY = '';
}

export interface EmbeddedConfig {
  port: number;
  host: string;
  publicBaseUrl: string;
  dataDir: string;
  seedDemo: boolean;
  gatewayThread: boolean;
  logLevel: LogLevel;
  bodyLimit: number;
  shutdownTimeoutMs: number;
  secretKey: string;
  /** The webhook dispatcher's schedule and limits (the same WEBHOOK_* variables as the distributed app). */
  webhookPolicy: WebhookPolicy;
}

export function loadEmbeddedConfig(env: NodeJS.ProcessEnv): EmbeddedConfig {
  const e = loadEnv(EmbeddedEnv, env);
  return {
    port: e.PORT,
    host: e.HOST,
    publicBaseUrl: e.PUBLIC_BASE_URL,
    dataDir: e.HANDOVER_DATA_DIR,
    seedDemo: e.HANDOVER_DEMO === '1',
    gatewayThread: e.HANDOVER_GATEWAY_THREAD === '1',
    logLevel: e.LOG_LEVEL,
    bodyLimit: e.BODY_LIMIT_BYTES,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    secretKey: e.HANDOVER_SECRET_KEY,
    webhookPolicy: webhookPolicyFromEnv(env),
  };
}
