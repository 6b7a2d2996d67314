import { Transform } from 'class-transformer';
import { IsInt, IsString, Max, Min } from 'class-validator';
import { loadEnv, toInt } from '#config';

class DistributedLauncherEnv {
  /** Gateway replicas to start, on PORT, PORT+1, ... (the other apps scale the same way by queue groups). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(16)
  GATEWAY_REPLICAS = 1;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  /** Read only to check, before starting any app, that the services accept connections (the apps validate them). */
  @IsString()
  NATS_URL = '';

  @IsString()
  REDIS_URL = '';

  @IsString()
  DATABASE_URL = '';
}

export function loadDistributedLauncherConfig(env: NodeJS.ProcessEnv) {
  const e = loadEnv(DistributedLauncherEnv, env);
  return {
    gatewayReplicas: e.GATEWAY_REPLICAS,
    port: e.PORT,
    services: [
      { name: 'NATS', variable: 'NATS_URL', url: e.NATS_URL, defaultPort: 4222 },
      { name: 'Redis', variable: 'REDIS_URL', url: e.REDIS_URL, defaultPort: 6379 },
      { name: 'PostgreSQL', variable: 'DATABASE_URL', url: e.DATABASE_URL, defaultPort: 5432 },
    ].filter((s) => s.url !== ''),
  };
}
