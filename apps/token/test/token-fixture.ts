import { randomBytes } from 'node:crypto';
import {
  HandoverError,
  type EventOf,
  type EventSubject,
  type ReplyOf,
  type RequestOf,
  type RequestSubject,
  type VendorRecord,
} from '#contracts';
import { RpcClient } from '#messaging';
import { SecretBox, SecretHasher } from '#security';
import type { ShortLivedStore } from '#storage';
import { AccessTokensService } from '../src/access-tokens/access-tokens.service.js';
import { TokenStatusService } from '../src/access-tokens/token-status.service.js';
import { Clock } from '../src/clock.js';
import { CodeExchangeService } from '../src/codes/code-exchange.service.js';
import { CodeIssueService } from '../src/codes/code-issue.service.js';
import { CodeStore } from '../src/codes/code.store.js';
import { RevocationService } from '../src/revocation/revocation.service.js';
import { SessionStore } from '../src/sessions/session.store.js';
import { SessionsService } from '../src/sessions/sessions.service.js';
import type { SigningKeyEntity } from '../src/signing-keys/signing-key.entity.js';
import type { SigningKeyRepository } from '../src/signing-keys/signing-key.repository.js';
import { SigningKeysService } from '../src/signing-keys/signing-keys.service.js';
import type { TokenPolicy } from '../src/token.policy.js';
import { ClientAuthenticator } from '../src/vendors/client-authenticator.js';
import { VendorDirectory } from '../src/vendors/vendor-directory.js';

/**
 * The token app's services wired by hand over a given short-lived store (memory in unit tests, the real Redis in
 * integration tests), with an in-memory key table and a bus that answers vendor lookups and records events.
 */
export const tenantId = '11111111-1111-4111-8111-111111111111';
export const issuer = 'http://localhost:3000/t/demo';
export const pluginUrl = 'http://localhost:3000/demo/plugin';

export class FakeBus extends RpcClient {
  events: Array<{ subject: string; payload: unknown }> = [];
  constructor(private readonly vendors: VendorRecord[]) {
    super();
  }
  async request<S extends RequestSubject>(subject: S, payload: RequestOf<S>): Promise<ReplyOf<S>> {
    if (subject !== 'user-data.vendor.get') throw new Error(`unexpected ${subject}`);
    const { clientId } = payload as RequestOf<'user-data.vendor.get'>;
    const vendor = this.vendors.find((v) => v.clientId === clientId);
    if (!vendor) throw new HandoverError('not_found', 'no such vendor');
    return vendor as ReplyOf<S>;
  }
  async publish<E extends EventSubject>(subject: E, payload: EventOf<E>): Promise<void> {
    this.events.push({ subject, payload });
  }
}

export function vendor(clientId: string, hasher: SecretHasher, overrides: Partial<VendorRecord> = {}): VendorRecord {
  return {
    id: randomBytes(8).toString('hex'),
    tenantId,
    clientId,
    name: clientId,
    secretHash: hasher.hash(`${clientId}-secret`),
    pluginUrls: [pluginUrl],
    redirectUris: ['https://vendor.example/callback'],
    allowedOrigins: ['http://localhost:3000'],
    config: { theme: 'light' },
    scopes: ['profile', 'accounts'],
    pkceRequired: false,
    launchMode: 'embed',
    ...overrides,
  };
}

export function buildTokenServices(
  store: ShortLivedStore,
  policy: TokenPolicy = { sessionTtlSeconds: 3600, clientFailuresPerMinute: 100_000 },
) {
  const master = randomBytes(32);
  const hasher = new SecretHasher(master);
  const clock = new Clock();
  const keys: SigningKeyEntity[] = [];
  const repository = {
    findPublishable: async (id: string) => keys.filter((k) => k.tenantId === id),
    insertActiveIfNone: async (key: Omit<SigningKeyEntity, 'createdAt' | 'status'>) => {
      if (keys.some((k) => k.tenantId === key.tenantId)) return false;
      keys.push({ ...key, status: 'active', createdAt: new Date() });
      return true;
    },
  } as unknown as SigningKeyRepository;
  const bus = new FakeBus([
    vendor('vendor-a', hasher),
    vendor('vendor-b', hasher),
    vendor('strict', hasher, { pkceRequired: true }),
  ]);
  const sessionStore = new SessionStore(store);
  const revocation = new RevocationService(store, bus, clock);
  const tokens = new AccessTokensService(new SigningKeysService(repository, new SecretBox(master, 'keys')), clock);
  const clients = new ClientAuthenticator(new VendorDirectory(bus, clock), hasher, store, policy);
  const codes = new CodeStore(store);
  const sessions = new SessionsService(sessionStore, revocation, policy, clock);
  const issuerService = new CodeIssueService(sessionStore, new VendorDirectory(bus, clock), codes, clock);
  const exchanger = new CodeExchangeService(clients, codes, sessionStore, revocation, tokens, clock);
  const status = new TokenStatusService(clients, tokens, revocation, sessionStore);

  return {
    bus,
    sessions,
    exchanger,
    status,
    openSession: async () =>
      (
        await sessions.create({
          tenantId,
          user: { id: '22222222-2222-4222-8222-222222222222', login: 'demo', email: null, name: null },
          authMethod: 'host',
        })
      ).sessionId,
    issue: (sessionId: string, clientId = 'vendor-a', extra: Record<string, string> = {}) =>
      issuerService.issue({ tenantId, sessionId, clientId, ...extra }),
    exchange: (code: string, clientId = 'vendor-a', extra: Record<string, string> = {}) =>
      exchanger.exchange({ tenantId, issuer, clientId, clientSecret: `${clientId}-secret`, code, ...extra }),
    introspect: (token: string, clientId = 'vendor-a') =>
      status.introspect({ tenantId, issuer, clientId, clientSecret: `${clientId}-secret`, token }),
  };
}
