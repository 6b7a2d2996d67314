import { IsIn, IsString, Matches } from 'class-validator';
import {
  type BaseAppConfig,
  baseAppConfig,
  BaseAppEnv,
  loadEnv,
  WithDatabase,
  WithOpsPort,
  WithSecretKey,
} from '#config';
import { decodeSecretKey } from '#security';

class UserDataEnv extends WithOpsPort(WithSecretKey(WithDatabase(BaseAppEnv)), 3103) {
  /** Distributed mode never seeds the demo unless asked to. */
  @IsIn(['0', '1'])
  HANDOVER_DEMO: '0' | '1' = '0';

  @IsString()
  @Matches(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, { message: 'PUBLIC_BASE_URL must be an http(s) URL' })
  PUBLIC_BASE_URL = 'http://localhost:3000';
}

export interface UserDataConfig extends BaseAppConfig {
  opsPort: number;
  database: { url: string; poolSize: number };
  secretKey: Buffer;
  seedDemo: boolean;
  publicBaseUrl: string;
}

export function loadUserDataConfig(env: NodeJS.ProcessEnv): UserDataConfig {
  const e = loadEnv(UserDataEnv, env);
  return {
    ...baseAppConfig(e, 'user-data'),
    opsPort: e.OPS_PORT,
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
    secretKey: decodeSecretKey(e.HANDOVER_SECRET_KEY),
    seedDemo: e.HANDOVER_DEMO === '1',
    publicBaseUrl: e.PUBLIC_BASE_URL.replace(/\/+$/, ''),
  };
}
