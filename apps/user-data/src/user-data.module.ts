import { Inject, Logger, Module, type DynamicModule, type OnApplicationBootstrap, type Type } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RpcClient } from '#messaging';
import { HealthService, OpsController, type HealthCheck } from '#observability';
import { SecretHasher } from '#security';
import { ApiKeysHandler } from './api-keys/api-keys.handler.js';
import { ApiKeysRepository } from './api-keys/api-keys.repository.js';
import { ApiKeysService } from './api-keys/api-keys.service.js';
import { BankingConnector } from './banking/banking-connector.js';
import { BankingHandler } from './banking/banking.handler.js';
import { BankingService } from './banking/banking.service.js';
import { StoreBankingConnector } from './banking/store-banking-connector.js';
import { TransactionCursorCodec } from './banking/transaction-cursor.js';
import { seedDemo } from './demo/demo-seed.js';
import { TenantsHandler } from './tenants/tenants.handler.js';
import { TenantsRepository } from './tenants/tenants.repository.js';
import { TenantsService } from './tenants/tenants.service.js';
import { UsersHandler } from './users/users.handler.js';
import { UsersRepository } from './users/users.repository.js';
import { UsersService } from './users/users.service.js';
import { VendorsHandler } from './vendors/vendors.handler.js';
import { VendorRegistrations } from './vendors/vendor-registrations.service.js';
import { VendorsRepository } from './vendors/vendors.repository.js';
import { VendorsService } from './vendors/vendors.service.js';

export interface UserDataDeps {
  rpc: RpcClient;
  database: DataSource;
  secretKey: Buffer;
  healthChecks: Record<string, HealthCheck>;
  /** Seed the demo tenant of SPEC §8 at start, with URLs under this public base URL. */
  demo?: { baseUrl: string };
  /**
   * The host's core banking system behind the `BankingConnector` port (docs/banking-connector.md); by default
   * `StoreBankingConnector`, which reads the seedable tables. Nest constructs it, so it may inject what the
   * module provides (`DataSource`, `RpcClient`).
   */
  bankingConnector?: Type<BankingConnector>;
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
      controllers: [OpsController, TenantsHandler, ApiKeysHandler, UsersHandler, VendorsHandler, BankingHandler],
      providers: [
        { provide: RpcClient, useValue: deps.rpc },
        { provide: DataSource, useValue: deps.database },
        { provide: SecretHasher, useValue: new SecretHasher(deps.secretKey) },
        { provide: TransactionCursorCodec, useValue: new TransactionCursorCodec(deps.secretKey) },
        { provide: HealthService, useValue: new HealthService(deps.healthChecks) },
        { provide: DEMO_OPTIONS, useValue: deps.demo ?? null },
        { provide: BankingConnector, useClass: deps.bankingConnector ?? StoreBankingConnector },
        TenantsRepository,
        TenantsService,
        ApiKeysRepository,
        ApiKeysService,
        UsersRepository,
        UsersService,
        VendorsRepository,
        VendorsService,
        VendorRegistrations,
        BankingService,
      ],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.demo) return;
    const created = await seedDemo(this.dataSource, this.hasher, this.demo.baseUrl);
    this.logger.log(created ? 'demo tenant seeded' : 'demo tenant already present');
  }
}
