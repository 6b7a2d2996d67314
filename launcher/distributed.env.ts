import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
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
}

export function loadDistributedLauncherConfig(env: NodeJS.ProcessEnv) {
  const e = loadEnv(DistributedLauncherEnv, env);
  return { gatewayReplicas: e.GATEWAY_REPLICAS, port: e.PORT };
}
