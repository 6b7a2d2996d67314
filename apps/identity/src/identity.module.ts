import { Module, type DynamicModule } from '@nestjs/common';
import { RpcClient } from '#messaging';
import { HealthService, OpsController, type HealthCheck } from '#observability';

/**
 * Verifies who someone is: local passwords, partner JWT/hash links, partner OAuth2 and custom identity
 * providers. Its verifiers arrive with the flows that need them (plugin handover, partner SSO, custom IdP);
 * until then the app runs, joins its queue group and reports health.
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
      controllers: [OpsController],
      providers: [
        { provide: RpcClient, useValue: deps.rpc },
        { provide: HealthService, useValue: new HealthService(deps.healthChecks) },
      ],
    };
  }
}
