import { Module, type DynamicModule } from '@nestjs/common';
import { RpcClient } from '#messaging';
import { HealthService, OpsController, type HealthCheck } from '#observability';
import { LocalPasswordService } from './local-password/local-password.service.js';
import { PasswordHasher } from './local-password/password-hasher.js';
import { PasswordHandler } from './local-password/password.handler.js';
import { UserCredentialsRepository } from './local-password/user-credentials.repository.js';

/**
 * Verifies who someone is: local passwords today (asking user-data for the hash over the bus); partner JWT/hash
 * links, partner OAuth2 and custom identity providers arrive with the flows that need them.
 */
export interface IdentityDeps {
  rpc: RpcClient;
  healthChecks: Record<string, HealthCheck>;
}

@Module({})
export class IdentityModule {
  static register(deps: IdentityDeps): DynamicModule {
    return {
      module: IdentityModule,
      controllers: [OpsController, PasswordHandler],
      providers: [
        { provide: RpcClient, useValue: deps.rpc },
        { provide: HealthService, useValue: new HealthService(deps.healthChecks) },
        UserCredentialsRepository,
        PasswordHasher,
        LocalPasswordService,
      ],
    };
  }
}
