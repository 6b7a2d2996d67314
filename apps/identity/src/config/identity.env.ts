import { BaseAppEnv, loadEnv, WithOpsPort } from '#config';
import type { NatsSettings } from '#messaging';

class IdentityEnv extends WithOpsPort(BaseAppEnv, 3102) {}

export interface IdentityConfig {
  logLevel: string;
  opsPort: number;
  shutdownTimeoutMs: number;
  nats: NatsSettings;
}

export function loadIdentityConfig(env: NodeJS.ProcessEnv): IdentityConfig {
  const e = loadEnv(IdentityEnv, env);
  return {
    logLevel: e.LOG_LEVEL,
    opsPort: e.OPS_PORT,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    nats: {
      url: e.NATS_URL,
      subjectPrefix: e.HANDOVER_SUBJECT_PREFIX,
      requestTimeoutMs: e.BUS_REQUEST_TIMEOUT_MS,
      name: 'identity',
    },
  };
}
