import { type BaseAppConfig, baseAppConfig, BaseAppEnv, loadEnv, WithOpsPort } from '#config';

class IdentityEnv extends WithOpsPort(BaseAppEnv, 3102) {}

export interface IdentityConfig extends BaseAppConfig {
  opsPort: number;
}

export function loadIdentityConfig(env: NodeJS.ProcessEnv): IdentityConfig {
  const e = loadEnv(IdentityEnv, env);
  return {
    ...baseAppConfig(e, 'identity'),
    opsPort: e.OPS_PORT,
  };
}
