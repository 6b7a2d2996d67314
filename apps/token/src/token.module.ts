import { Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RpcClient } from '#messaging';
import { HealthService, OpsController, type HealthCheck } from '#observability';
import { SecretBox, SecretHasher } from '#security';
import { ShortLivedStore } from '#storage';
import { AccessTokensService } from './access-tokens/access-tokens.service.js';
import { TokenStatusService } from './access-tokens/token-status.service.js';
import { Clock } from './clock.js';
import { CodeExchangeService } from './codes/code-exchange.service.js';
import { CodeIssueService } from './codes/code-issue.service.js';
import { CodeStore } from './codes/code.store.js';
import { CodesHandler } from './codes/codes.handler.js';
import { RevocationService } from './revocation/revocation.service.js';
import { SessionStore } from './sessions/session.store.js';
import { SessionsHandler } from './sessions/sessions.handler.js';
import { SessionsService } from './sessions/sessions.service.js';
import { JwksHandler } from './signing-keys/jwks.handler.js';
import { SigningKeyRepository } from './signing-keys/signing-key.repository.js';
import { SigningKeysService } from './signing-keys/signing-keys.service.js';
import { TokenPolicy } from './token.policy.js';
import { ClientAuthenticator } from './vendors/client-authenticator.js';
import { VendorDirectory } from './vendors/vendor-directory.js';

/** What the token app is given by whoever starts it (distributed main, or the embedded launcher). */
export interface TokenDeps {
  rpc: RpcClient;
  store: ShortLivedStore;
  database: DataSource;
  secretKey: Buffer;
  healthChecks: Record<string, HealthCheck>;
  policy?: TokenPolicy;
}

@Module({})
export class TokenModule {
  static register(deps: TokenDeps): DynamicModule {
    return {
      module: TokenModule,
      controllers: [OpsController, JwksHandler, SessionsHandler, CodesHandler],
      providers: [
        { provide: RpcClient, useValue: deps.rpc },
        { provide: ShortLivedStore, useValue: deps.store },
        { provide: DataSource, useValue: deps.database },
        { provide: SecretBox, useValue: new SecretBox(deps.secretKey, 'signing-keys') },
        { provide: SecretHasher, useValue: new SecretHasher(deps.secretKey) },
        { provide: HealthService, useValue: new HealthService(deps.healthChecks) },
        { provide: TokenPolicy, useValue: deps.policy ?? TokenPolicy.defaults },
        { provide: Clock, useValue: new Clock() },
        SigningKeyRepository,
        SigningKeysService,
        AccessTokensService,
        TokenStatusService,
        SessionStore,
        SessionsService,
        RevocationService,
        VendorDirectory,
        ClientAuthenticator,
        CodeStore,
        CodeIssueService,
        CodeExchangeService,
      ],
    };
  }
}
