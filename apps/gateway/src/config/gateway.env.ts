import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { type BaseAppConfig, baseAppConfig, BaseAppEnv, loadEnv, publicBaseUrl, toInt, WithRedis } from '#config';
import type { RedisSettings } from '#storage';

/** The gateway reads sessions (`/me`) and the revocation index from the short-lived store the token app writes. */
class GatewayEnv extends WithRedis(BaseAppEnv) {
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  /** Public base URL; tenants' issuers are `<base>/t/{tenant}`. Defaults to http://localhost:<PORT>. */
  @IsString()
  @Matches(/^(|https?:\/\/[^\s/]+(\/[^\s]*)?)$/, { message: 'PUBLIC_BASE_URL must be an http(s) URL' })
  PUBLIC_BASE_URL = '';

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(10 * 1024 * 1024)
  BODY_LIMIT_BYTES = 64 * 1024;

  /** Serve the demo pages under /demo (the demo tenant must exist: HANDOVER_DEMO=1 on user-data too). */
  @IsIn(['0', '1'])
  HANDOVER_DEMO: '0' | '1' = '0';
}

export interface GatewayConfig extends BaseAppConfig {
  port: number;
  host: string;
  publicBaseUrl: string;
  bodyLimit: number;
  demo: boolean;
  /** The same Redis and key prefix as the token app of this deployment. */
  redis: RedisSettings;
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const e = loadEnv(GatewayEnv, env);
  return {
    ...baseAppConfig(e, 'gateway'),
    port: e.PORT,
    host: e.HOST,
    publicBaseUrl: publicBaseUrl(e.PUBLIC_BASE_URL, e.PORT),
    bodyLimit: e.BODY_LIMIT_BYTES,
    demo: e.HANDOVER_DEMO === '1',
    redis: { url: e.REDIS_URL, keyPrefix: e.HANDOVER_REDIS_PREFIX },
  };
}
