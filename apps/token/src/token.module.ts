import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OutboxRelay, RpcClient, type DurableEventPublisher } from '#messaging';
import { HealthService, OpsController, type HealthCheck } from '#observability';
import { SecretBox, SecretHasher } from '#security';
import { ShortLivedStore } from '#storage';
import { AccessTokensService } from './access-tokens/access-tokens.service.js';
import { TokenStatusService } from './access-tokens/token-status.service.js';
import { Clock } from './clock.js';
import { CodeExchangeService } from './codes/code-exchange.service.js';
import { CodeIssueService } from './codes/code-issue.service.js';
import { CodeStore } from './codes/code.store.js';
import { GrantMarkerTable } from './codes/grant-marker-table.js';
import { CodesHandler } from './codes/codes.handler.js';
import { TOKEN_SCHEMA, TokenOutbox } from './events/token-outbox.js';
import { LogoutTokensHandler } from './logout-tokens/logout-tokens.handler.js';
import { LogoutTokensService } from './logout-tokens/logout-tokens.service.js';
import { RevocationService } from './revocation/revocation.service.js';
import { SessionExpirySweeper } from './sessions/session-expiry.sweeper.js';
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
  /** The durable event stream the outbox relay publishes to (JetStream, or the embedded in-process hand-off). */
  events: DurableEventPublisher;
  /** Over `TokenPolicy.defaults`. */
  policy?: Partial<TokenPolicy>;
  /** Embedded mode only (one token app per store): grant markers off the heap instead of in `store`. */
  grantMarkers?: GrantMarkerTable;
}

@Module({})
export class TokenModule {
  static register(deps: TokenDeps): DynamicModule {
    const policy: TokenPolicy = { ...TokenPolicy.defaults, ...withoutUndefined(deps.policy ?? {}) };
    return {
      module: TokenModule,
      controllers: [OpsController, JwksHandler, SessionsHandler, CodesHandler, LogoutTokensHandler],
      providers: [
        { provide: RpcClient, useValue: deps.rpc },
        { provide: ShortLivedStore, useValue: deps.store },
        { provide: DataSource, useValue: deps.database },
        { provide: SecretBox, useValue: new SecretBox(deps.secretKey, 'signing-keys') },
        { provide: SecretHasher, useValue: new SecretHasher(deps.secretKey) },
        { provide: HealthService, useValue: new HealthService(deps.healthChecks) },
        { provide: TokenPolicy, useValue: policy },
        ...(deps.grantMarkers ? [{ provide: GrantMarkerTable, useValue: deps.grantMarkers }] : []),
        { provide: Clock, useValue: new Clock() },
        {
          provide: OutboxRelay,
          useValue: new OutboxRelay(deps.database, TOKEN_SCHEMA, deps.events, new Logger('TokenOutbox'), {
            pollIntervalMs: policy.outboxPollIntervalMs,
          }),
        },
        TokenOutbox,
        SessionExpirySweeper,
        LogoutTokensService,
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

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
