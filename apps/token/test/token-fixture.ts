import { randomBytes } from 'node:crypto';
import {
  HandoverError,
  type DurableEvent,
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
import type { GrantMarkerTable } from '../src/codes/grant-marker-table.js';
import { TokenOutbox } from '../src/events/token-outbox.js';
import { LogoutTokensService } from '../src/logout-tokens/logout-tokens.service.js';
import { RevocationService } from '../src/revocation/revocation.service.js';
import { SessionExpirySweeper } from '../src/sessions/session-expiry.sweeper.js';
import { SessionStore } from '../src/sessions/session.store.js';
import { SessionsService } from '../src/sessions/sessions.service.js';
import type { SigningKeyEntity } from '../src/signing-keys/signing-key.entity.js';
import type { SigningKeyRepository } from '../src/signing-keys/signing-key.repository.js';
import { SigningKeysService } from '../src/signing-keys/signing-keys.service.js';
import { TokenPolicy } from '../src/token.policy.js';
import { ClientAuthenticator } from '../src/vendors/client-authenticator.js';
import { VendorDirectory } from '../src/vendors/vendor-directory.js';

/**
 * The token app's services wired by hand over a given short-lived store (memory in unit tests, the real Redis in
 * integration tests), with an in-memory key table, a bus that answers vendor lookups and records events, and an
 * outbox (a recording one unless the test brings the real one).
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

/**
 * An outbox that keeps what is written in memory, with the real one's semantics (an id already there is skipped),
 * and fails like the real one while `down` is set (the database is unreachable).
 */
export class RecordingOutbox extends TokenOutbox {
  readonly events: DurableEvent[] = [];
  /** What was asked to be written while `down`. */
  readonly refused: DurableEvent[] = [];
  nudges = 0;
  down = false;

  constructor() {
    super(undefined as never, undefined as never);
  }

  override async write(events: readonly DurableEvent[]): Promise<void> {
    if (this.down) {
      this.refused.push(...events);
      throw HandoverError.unavailable('the token database is unavailable', new Error('ECONNREFUSED'));
    }
    for (const event of events) {
      if (!this.events.some((e) => e.id === event.id))
        this.events.push(JSON.parse(JSON.stringify(event)) as DurableEvent);
    }
  }

  override nudge(): void {
    this.nudges++;
  }

  ofType<T extends DurableEvent['type']>(type: T): Array<DurableEvent<T>> {
    return this.events.filter((e): e is DurableEvent<T> => e.type === type);
  }
}

/** A clock the test moves. */
export class TestClock extends Clock {
  constructor(private readonly current: () => number) {
    super();
  }

  override now(): number {
    return this.current();
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

/** `ReturnType<typeof buildTokenServices>` is the last signature: the one with a recording outbox. */
export function buildTokenServices<O extends TokenOutbox>(
  store: ShortLivedStore,
  overrides: Partial<TokenPolicy>,
  options: { outbox: O; now?: () => number; grantMarkers?: GrantMarkerTable },
): TokenServices<O>;
export function buildTokenServices(
  store: ShortLivedStore,
  overrides?: Partial<TokenPolicy>,
  options?: { now?: () => number; grantMarkers?: GrantMarkerTable },
): TokenServices<RecordingOutbox>;
export function buildTokenServices(
  store: ShortLivedStore,
  overrides: Partial<TokenPolicy> = {},
  options: { outbox?: TokenOutbox; now?: () => number; grantMarkers?: GrantMarkerTable } = {},
) {
  return wire(store, overrides, options);
}

function wire(
  store: ShortLivedStore,
  overrides: Partial<TokenPolicy>,
  options: { outbox?: TokenOutbox; now?: () => number; grantMarkers?: GrantMarkerTable },
) {
  const policy: TokenPolicy = {
    ...TokenPolicy.defaults,
    sessionTtlSeconds: 3600,
    clientFailuresPerMinute: 100_000,
    ...overrides,
  };
  const master = randomBytes(32);
  const hasher = new SecretHasher(master);
  const clock = options.now ? new TestClock(options.now) : new Clock();
  const outbox = options.outbox ?? new RecordingOutbox();
  const keyRows: SigningKeyEntity[] = [];
  const repository = {
    findPublishable: async (id: string) => keyRows.filter((k) => k.tenantId === id),
    insertActiveIfNone: async (key: Omit<SigningKeyEntity, 'createdAt' | 'status'>) => {
      if (keyRows.some((k) => k.tenantId === key.tenantId)) return false;
      keyRows.push({ ...key, status: 'active', createdAt: new Date() });
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
  const keys = new SigningKeysService(repository, new SecretBox(master, 'keys'));
  const tokens = new AccessTokensService(keys, clock);
  const clients = new ClientAuthenticator(new VendorDirectory(bus, clock), hasher, store, policy);
  const codes = new CodeStore(store, options.grantMarkers);
  const sessions = new SessionsService(sessionStore, revocation, outbox, policy, clock);
  const sweeper = new SessionExpirySweeper(sessionStore, outbox, policy, clock);
  const logoutTokens = new LogoutTokensService(keys, clock);
  const issuerService = new CodeIssueService(sessionStore, new VendorDirectory(bus, clock), codes);
  const exchanger = new CodeExchangeService(clients, codes, sessionStore, revocation, tokens, clock);
  const status = new TokenStatusService(clients, tokens, revocation, sessionStore);

  return {
    bus,
    outbox,
    keys,
    sessionStore,
    sessions,
    sweeper,
    logoutTokens,
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

export type TokenServices<O extends TokenOutbox> = Omit<ReturnType<typeof wire>, 'outbox'> & { outbox: O };
