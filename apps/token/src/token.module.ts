import { Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RpcClient } from '#messaging';
import { HealthService, OpsController, type HealthCheck } from '#observability';
import { SecretBox } from '#security';
import { ShortLivedStore } from '#storage';
import { JwksHandler } from './signing-keys/jwks.handler.js';
import { SigningKeyRepository } from './signing-keys/signing-key.repository.js';
import { SigningKeysService } from './signing-keys/signing-keys.service.js';

/** What the token app is given by whoever starts it (distributed main, or the embedded launcher). */
export interface TokenDeps {
  rpc: RpcClient;
  store: ShortLivedStore;
  database: DataSource;
  secretKey: Buffer;
  healthChecks: Record<string, HealthCheck>;
}

@Module({})
export class TokenModule {
  static register(deps: TokenDeps): DynamicModule {
    return {
      module: TokenModule,
      controllers: [OpsController, JwksHandler],
      providers: [
        { provide: RpcClient, useValue: deps.rpc },
        { provide: ShortLivedStore, useValue: deps.store },
        { provide: DataSource, useValue: deps.database },
        { provide: SecretBox, useValue: new SecretBox(deps.secretKey, 'signing-keys') },
        { provide: HealthService, useValue: new HealthService(deps.healthChecks) },
        SigningKeyRepository,
        SigningKeysService,
      ],
    };
  }
}
