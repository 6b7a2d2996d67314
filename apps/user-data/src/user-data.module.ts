import { Inject, Logger, Module, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RpcClient } from '#messaging';
import { HealthService, OpsController, type HealthCheck } from '#observability';
import { SecretHasher } from '#security';
import { seedDemo } from './demo/demo-seed.js';
import { TenantsHandler } from './tenants/tenants.handler.js';
import { TenantsRepository } from './tenants/tenants.repository.js';

export interface UserDataDeps {
  rpc: RpcClient;
  database: DataSource;
  secretKey: Buffer;
  healthChecks: Record<string, HealthCheck>;
  /** Seed the demo tenant of SPEC §8 at start, with URLs under this public base URL. */
  demo?: { baseUrl: string };
}

const DEMO_OPTIONS = Symbol('DEMO_OPTIONS');

@Module({})
export class UserDataModule implements OnApplicationBootstrap {
  private readonly logger = new Logger('UserData');

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(SecretHasher) private readonly hasher: SecretHasher,
    @Inject(DEMO_OPTIONS) private readonly demo: UserDataDeps['demo'] | null,
  ) {}

  static register(deps: UserDataDeps): DynamicModule {
    return {
      module: UserDataModule,
      controllers: [OpsController, TenantsHandler],
      providers: [
        { provide: RpcClient, useValue: deps.rpc },
        { provide: DataSource, useValue: deps.database },
        { provide: SecretHasher, useValue: new SecretHasher(deps.secretKey) },
        { provide: HealthService, useValue: new HealthService(deps.healthChecks) },
        { provide: DEMO_OPTIONS, useValue: deps.demo ?? null },
        TenantsRepository,
      ],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.demo) return;
    const created = await seedDemo(this.dataSource, this.hasher, this.demo.baseUrl);
    this.logger.log(created ? 'demo tenant seeded' : 'demo tenant already present');
  }
}
