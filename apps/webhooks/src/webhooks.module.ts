import { Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RpcClient } from '#messaging';
import { HealthService, OpsController, type HealthCheck } from '#observability';

/**
 * Durable, signed delivery of events to vendor endpoints. The app owns the `webhooks` schema and, in
 * distributed mode, checks JetStream at start; the dispatcher itself arrives with the webhooks issue.
 */
export interface WebhooksDeps {
  rpc: RpcClient;
  database: DataSource;
  healthChecks: Record<string, HealthCheck>;
}

@Module({})
export class WebhooksModule {
  static register(deps: WebhooksDeps): DynamicModule {
    return {
      module: WebhooksModule,
      controllers: [OpsController],
      providers: [
        { provide: RpcClient, useValue: deps.rpc },
        { provide: DataSource, useValue: deps.database },
        { provide: HealthService, useValue: new HealthService(deps.healthChecks) },
      ],
    };
  }
}
