import { Module, type DynamicModule } from '@nestjs/common';
import { RpcClient } from '#messaging';
import { HealthService, OpsController, type HealthCheck } from '#observability';
import { ShortLivedStore } from '#storage';
import { AdminKeyGuard } from './admin-api/admin-key.guard.js';
import { AdminController } from './admin-api/admin.controller.js';
import { AdminService } from './admin-api/admin.service.js';
import { WebhooksAdminController } from './admin-api/webhooks-admin.controller.js';
import { WebhooksAdminService } from './admin-api/webhooks-admin.service.js';
import { AccessTokenVerifier } from './data-api/access-token.verifier.js';
import { BearerGuard } from './data-api/bearer.guard.js';
import { BusReconnects } from './data-api/bus-reconnects.js';
import { DataApiController } from './data-api/data-api.controller.js';
import { DataApiService } from './data-api/data-api.service.js';
import { KnownTokens } from './data-api/known-tokens.js';
import { RevocationEventsHandler, RevocationSet } from './data-api/revocation-set.js';
import { SessionRecords } from './data-api/session-records.repository.js';
import { TenantKeys } from './data-api/tenant-keys.service.js';
import { GatewayOptions } from './gateway.options.js';
import { HostKeyGuard } from './host-api/host-key.guard.js';
import { HostKeys } from './host-api/host-keys.service.js';
import { HostSessionsController } from './host-api/host-sessions.controller.js';
import { HostSessionsService } from './host-api/host-sessions.service.js';
import { Clock } from './http/clock.js';
import { MetadataController } from './oauth/metadata.controller.js';
import { OAuthEndpoints } from './oauth/oauth-endpoints.service.js';
import { OAuthController } from './oauth/oauth.controller.js';
import { DemoController } from './demo/demo.controller.js';
import { AssetsController } from './pages/assets.controller.js';
import { HomeController } from './pages/home.controller.js';
import { LaunchController } from './pages/launch.controller.js';
import { LogoutController } from './pages/logout.controller.js';
import { VendorDirectory } from './vendors/vendor-directory.js';
import { TenantDirectory, TenantEventsHandler } from './tenants/tenant-directory.service.js';

export interface GatewayDeps {
  rpc: RpcClient;
  /** The short-lived store the token app writes: sessions for `/me`, the revocation index at start. */
  store: ShortLivedStore;
  options: GatewayOptions;
  healthChecks: Record<string, HealthCheck>;
  /** Registers a listener for the bus coming back after an outage (NATS); absent for the in-process bus. */
  onBusReconnect?: (listener: () => void) => void;
}

/** The only HTTP edge: public OAuth endpoints, data API, hosted pages, host and admin APIs. Stateless. */
@Module({})
export class GatewayModule {
  static register(deps: GatewayDeps): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [
        HomeController,
        OpsController,
        MetadataController,
        OAuthController,
        HostSessionsController,
        AdminController,
        WebhooksAdminController,
        DataApiController,
        TenantEventsHandler,
        RevocationEventsHandler,
        LaunchController,
        LogoutController,
        AssetsController,
        ...(deps.options.demo ? [DemoController] : []),
      ],
      providers: [
        { provide: RpcClient, useValue: deps.rpc },
        { provide: ShortLivedStore, useValue: deps.store },
        { provide: GatewayOptions, useValue: deps.options },
        { provide: Clock, useValue: new Clock() },
        { provide: BusReconnects, useValue: new BusReconnects(deps.onBusReconnect) },
        {
          provide: HealthService,
          // The replica is ready once it knows what is revoked (it refuses the data API until then).
          useFactory: (revocations: RevocationSet) =>
            new HealthService({ ...deps.healthChecks, revocations: () => revocations.check() }),
          inject: [RevocationSet],
        },
        TenantDirectory,
        VendorDirectory,
        OAuthEndpoints,
        HostKeys,
        HostKeyGuard,
        HostSessionsService,
        AdminKeyGuard,
        AdminService,
        WebhooksAdminService,
        RevocationSet,
        TenantKeys,
        KnownTokens,
        AccessTokenVerifier,
        BearerGuard,
        SessionRecords,
        DataApiService,
      ],
    };
  }
}
