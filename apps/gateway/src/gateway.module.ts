import { Module, type DynamicModule } from '@nestjs/common';
import { RpcClient } from '#messaging';
import { HealthService, OpsController, type HealthCheck } from '#observability';
import { GatewayOptions } from './gateway.options.js';
import { MetadataController } from './oauth/metadata.controller.js';
import { HomeController } from './pages/home.controller.js';
import { TenantDirectory, TenantEventsHandler } from './tenants/tenant-directory.service.js';

export interface GatewayDeps {
  rpc: RpcClient;
  options: GatewayOptions;
  healthChecks: Record<string, HealthCheck>;
}

/** The only HTTP edge: public OAuth endpoints, data API, hosted pages, host and admin APIs. Stateless. */
@Module({})
export class GatewayModule {
  static register(deps: GatewayDeps): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [HomeController, OpsController, MetadataController, TenantEventsHandler],
      providers: [
        { provide: RpcClient, useValue: deps.rpc },
        { provide: GatewayOptions, useValue: deps.options },
        { provide: HealthService, useValue: new HealthService(deps.healthChecks) },
        TenantDirectory,
      ],
    };
  }
}
