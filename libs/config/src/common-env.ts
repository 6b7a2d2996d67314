import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';

export const LogLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LogLevels)[number];

export const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

const URL_OF = (schemes: string[]) => new RegExp(`^(${schemes.join('|')})://[^\\s]+$`);

/** Variables every distributed app reads. Defaults are the property initialisers; absent ones are required. */
export class BaseAppEnv {
  @IsIn(LogLevels)
  LOG_LEVEL: LogLevel = 'info';

  @IsString()
  @Matches(URL_OF(['nats', 'tls']), { message: 'NATS_URL must be a nats:// URL, e.g. nats://127.0.0.1:4222' })
  NATS_URL!: string;

  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,32}$/, { message: 'HANDOVER_SUBJECT_PREFIX must be 1-32 letters, digits, _ or -' })
  HANDOVER_SUBJECT_PREFIX = 'handover';

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(10_000)
  BUS_REQUEST_TIMEOUT_MS = 1500;

  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  @Max(60_000)
  SHUTDOWN_TIMEOUT_MS = 10_000;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type EnvClass<T = object> = new (...args: any[]) => T;

/** Adds the Redis variables to an env class (apps compose only what they use). */
export function WithRedis<B extends EnvClass>(Base: B) {
  class RedisEnv extends Base {
    @IsString()
    @Matches(URL_OF(['redis', 'rediss']), { message: 'REDIS_URL must be a redis:// URL, e.g. redis://127.0.0.1:6379' })
    REDIS_URL!: string;

    @IsString()
    @Matches(/^[A-Za-z0-9_:.-]{1,64}$/, { message: 'HANDOVER_REDIS_PREFIX must be 1-64 characters of [A-Za-z0-9_:.-]' })
    HANDOVER_REDIS_PREFIX = 'handover:';
  }
  return RedisEnv;
}

export function WithDatabase<B extends EnvClass>(Base: B) {
  class DatabaseEnv extends Base {
    @IsString()
    @Matches(URL_OF(['postgres', 'postgresql']), {
      message: 'DATABASE_URL must be a postgres:// URL, e.g. postgres://postgres@127.0.0.1:5432/handover',
    })
    DATABASE_URL!: string;

    @Transform(toInt)
    @IsInt()
    @Min(2)
    @Max(200)
    DATABASE_POOL_SIZE = 10; // ≥ 2: migrations hold one connection for their lock while they run on another
  }
  return DatabaseEnv;
}

export function WithSecretKey<B extends EnvClass>(Base: B) {
  class SecretKeyEnv extends Base {
    @IsString()
    @Matches(/^[A-Za-z0-9_-]{43,}$/, {
      message:
        'HANDOVER_SECRET_KEY must be at least 32 random bytes, base64url (e.g. `openssl rand -base64 32 | tr "+/" "-_" | tr -d =`)',
    })
    HANDOVER_SECRET_KEY!: string;
  }
  return SecretKeyEnv;
}

/** The port of a back-end app's operations endpoint (`/health`, `/metrics`). */
export function WithOpsPort<B extends EnvClass>(Base: B, defaultPort: number) {
  class OpsPortEnv extends Base {
    @Transform(toInt)
    @IsInt()
    @Min(0)
    @Max(65535)
    OPS_PORT = defaultPort;
  }
  return OpsPortEnv;
}

/** The part of every distributed app's configuration that comes from `BaseAppEnv`. */
export interface BaseAppConfig {
  logLevel: LogLevel;
  shutdownTimeoutMs: number;
  /** NATS connection settings (the shape of `NatsSettings` in #messaging), named after the app. */
  nats: { url: string; subjectPrefix: string; requestTimeoutMs: number; name: string };
}

export function baseAppConfig(e: BaseAppEnv, app: string): BaseAppConfig {
  return {
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    nats: {
      url: e.NATS_URL,
      subjectPrefix: e.HANDOVER_SUBJECT_PREFIX,
      requestTimeoutMs: e.BUS_REQUEST_TIMEOUT_MS,
      name: app,
    },
  };
}

/** The URL the gateway is reached at (issuers, links): `PUBLIC_BASE_URL`, else localhost on its port; no trailing slash. */
export function publicBaseUrl(configured: string, port: number): string {
  return (configured || `http://localhost:${port}`).replace(/\/+$/, '');
}
