/**
 * Every NATS subject Handover puts on the wire, in one place.
 *
 * WARNING: these strings are the contract between independently deployed apps. Renaming a value, or
 * changing the shape of its payload, breaks every replica still running the old code. Add a new subject
 * with a version suffix (`token.code.exchange.2`) and retire the old one once no caller uses it.
 *
 * Requests are owner-first with a verb (`token.jwks.get`); events are past tense (`session.logged_out`).
 * At run time every subject is prefixed with `HANDOVER_SUBJECT_PREFIX` (default `handover`), so
 * separate deployments, and separate test runs, can share one NATS server.
 */
export const RequestSubjects = {
  TokenJwksGet: 'token.jwks.get',
  TokenSessionCreate: 'token.session.create',
  TokenSessionGet: 'token.session.get',
  TokenSessionEnd: 'token.session.end',
  TokenCodeIssue: 'token.code.issue',
  TokenCodeExchange: 'token.code.exchange',
  TokenIntrospect: 'token.introspect',
  TokenRevoke: 'token.revoke',
  IdentityPasswordVerify: 'identity.password.verify',
  UserDataTenantGet: 'user-data.tenant.get',
  UserDataTenantCreate: 'user-data.tenant.create',
  UserDataApiKeyVerify: 'user-data.api-key.verify',
  UserDataUserResolve: 'user-data.user.resolve',
  UserDataUserCredentials: 'user-data.user.credentials',
  UserDataVendorGet: 'user-data.vendor.get',
  UserDataVendorCreate: 'user-data.vendor.create',
  UserDataUserCreate: 'user-data.user.create',
  UserDataAccountsList: 'user-data.accounts.list',
  UserDataTransactionsList: 'user-data.transactions.list',
  TokenLogoutTokenSign: 'token.logout-token.sign',
  WebhooksEndpointCreate: 'webhooks.endpoint.create',
  WebhooksEndpointList: 'webhooks.endpoint.list',
  WebhooksEndpointGet: 'webhooks.endpoint.get',
  WebhooksEndpointUpdate: 'webhooks.endpoint.update',
  WebhooksEndpointDelete: 'webhooks.endpoint.delete',
  WebhooksEndpointRotateSecret: 'webhooks.endpoint.rotate-secret',
  WebhooksMessageList: 'webhooks.message.list',
  WebhooksMessageGet: 'webhooks.message.get',
  WebhooksMessageReplay: 'webhooks.message.replay',
  WebhooksMessageReplayRange: 'webhooks.message.replay-range',
} as const;

export const EventSubjects = {
  SessionLoggedOut: 'session.logged_out',
  TokenRevoked: 'token.revoked',
  TenantChanged: 'tenant.changed',
  WebhooksEndpointDisabled: 'webhooks.endpoint_disabled',
} as const;

export type RequestSubject = (typeof RequestSubjects)[keyof typeof RequestSubjects];
export type EventSubject = (typeof EventSubjects)[keyof typeof EventSubjects];

/** The apps that serve or listen on the bus; each app's replicas share one NATS queue group named after it. */
export type AppName = 'gateway' | 'token' | 'identity' | 'user-data' | 'webhooks';

/** How a subject is delivered: to one member of the owner's queue group, or to every replica that listens. */
export type Delivery = 'queue-group' | 'every-replica';

export interface SubjectDescription {
  kind: 'request' | 'event';
  /** The app that serves a request, or the apps that listen to an event. */
  servedBy: readonly AppName[];
  /** Who sends it. */
  sentBy: readonly AppName[];
  delivery: Delivery;
  purpose: string;
}

/**
 * Delivery semantics of every subject; `docs/subjects.md` is generated from this table (`npm run docs:subjects`)
 * and a unit test keeps the two in step.
 */
export const SubjectCatalogue: { readonly [S in RequestSubject | EventSubject]: SubjectDescription } = {
  'token.jwks.get': {
    kind: 'request',
    servedBy: ['token'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: "A tenant's public signing keys (JWKS); creates the tenant's first key on first use.",
  },
  'token.session.create': {
    kind: 'request',
    servedBy: ['token'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: 'Opens a platform session for a user the caller has authenticated; returns its 256-bit id.',
  },
  'token.session.get': {
    kind: 'request',
    servedBy: ['token'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: 'A live session by id (hosted pages); `not_found` once it has ended or expired.',
  },
  'token.session.end': {
    kind: 'request',
    servedBy: ['token'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: 'Ends a session (idempotent): its tokens die at once and `session.logged_out` is published.',
  },
  'token.code.issue': {
    kind: 'request',
    servedBy: ['token'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: 'Issues a one-time 30 s code bound to a session, a vendor and its plugin or redirect URI (and PKCE).',
  },
  'token.code.exchange': {
    kind: 'request',
    servedBy: ['token'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: 'Authenticates the vendor, consumes the code atomically and signs a 30 min `at+jwt` access token.',
  },
  'token.introspect': {
    kind: 'request',
    servedBy: ['token'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: 'RFC 7662 introspection for an authenticated vendor; `{active:false}` for anything inactive.',
  },
  'token.revoke': {
    kind: 'request',
    servedBy: ['token'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: "RFC 7009 revocation of the caller's own access token; another vendor's token is refused.",
  },
  'identity.password.verify': {
    kind: 'request',
    servedBy: ['identity'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: "Checks a login and password against the tenant's local users; the same error for every failure.",
  },
  'user-data.api-key.verify': {
    kind: 'request',
    servedBy: ['user-data'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: 'Resolves a host or admin API key (compared by keyed hash) to its kind and tenant.',
  },
  'user-data.user.resolve': {
    kind: 'request',
    servedBy: ['user-data'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: 'A user by login or id, for a session the host has authenticated itself.',
  },
  'user-data.user.credentials': {
    kind: 'request',
    servedBy: ['user-data'],
    sentBy: ['identity'],
    delivery: 'queue-group',
    purpose: "A user's profile and password hash, for the identity app to verify a password.",
  },
  'user-data.vendor.get': {
    kind: 'request',
    servedBy: ['user-data'],
    sentBy: ['token', 'gateway'],
    delivery: 'queue-group',
    purpose: "A vendor's registration: secret hash, plugin and redirect URIs, origins, scopes, PKCE and launch mode.",
  },
  'user-data.accounts.list': {
    kind: 'request',
    servedBy: ['user-data'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: "The user's accounts from the banking connector.",
  },
  'user-data.transactions.list': {
    kind: 'request',
    servedBy: ['user-data'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: "One page of an account's transactions (cursor pagination); another user's account is `not_found`.",
  },
  'user-data.tenant.get': {
    kind: 'request',
    servedBy: ['user-data'],
    sentBy: ['gateway', 'token'],
    delivery: 'queue-group',
    purpose: 'Looks a tenant up by its slug; `not_found` for an unknown one.',
  },
  'user-data.tenant.create': {
    kind: 'request',
    servedBy: ['user-data'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose:
      'Creates a tenant and its first host key (returned once, stored as a keyed hash); publishes `tenant.changed`.',
  },
  'user-data.vendor.create': {
    kind: 'request',
    servedBy: ['user-data'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: "Registers a tenant's vendor; its client secret is returned once and stored as a keyed hash.",
  },
  'user-data.user.create': {
    kind: 'request',
    servedBy: ['user-data'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: "Creates a tenant's local user, with an optional password (stored as an scrypt hash).",
  },
  'token.logout-token.sign': {
    kind: 'request',
    servedBy: ['token'],
    sentBy: ['webhooks'],
    delivery: 'queue-group',
    purpose:
      'A fresh OIDC back-channel `logout+jwt` (new `jti`, 2 min `exp`) for one delivery attempt, signed with the tenant key.',
  },
  'webhooks.endpoint.create': {
    kind: 'request',
    servedBy: ['webhooks'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose:
      "Registers a vendor's webhook or back-channel logout endpoint (SSRF-checked); the `whsec_` secret is shown once.",
  },
  'webhooks.endpoint.list': {
    kind: 'request',
    servedBy: ['webhooks'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: "A tenant's endpoints, optionally of one vendor.",
  },
  'webhooks.endpoint.get': {
    kind: 'request',
    servedBy: ['webhooks'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: 'One endpoint of the tenant, with its enabled/failing state.',
  },
  'webhooks.endpoint.update': {
    kind: 'request',
    servedBy: ['webhooks'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: "Changes an endpoint's URL, event types or enabled state (re-enabling clears its failing state).",
  },
  'webhooks.endpoint.delete': {
    kind: 'request',
    servedBy: ['webhooks'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: 'Removes an endpoint and stops its deliveries; its delivery log goes with it.',
  },
  'webhooks.endpoint.rotate-secret': {
    kind: 'request',
    servedBy: ['webhooks'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: 'A new `whsec_` secret; the old one keeps signing (two signatures per delivery) for the overlap.',
  },
  'webhooks.message.list': {
    kind: 'request',
    servedBy: ['webhooks'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: "One page of an endpoint's delivery log (messages, newest first), filtered by status and time.",
  },
  'webhooks.message.get': {
    kind: 'request',
    servedBy: ['webhooks'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: 'One message with its payload and every attempt (status, latency, response excerpt).',
  },
  'webhooks.message.replay': {
    kind: 'request',
    servedBy: ['webhooks'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: 'Sends one message again now, with the same `webhook-id`, signed afresh.',
  },
  'webhooks.message.replay-range': {
    kind: 'request',
    servedBy: ['webhooks'],
    sentBy: ['gateway'],
    delivery: 'queue-group',
    purpose: 'Sends again every (or every failed) message of an endpoint created in a time range, ids unchanged.',
  },
  'session.logged_out': {
    kind: 'event',
    servedBy: ['gateway'],
    sentBy: ['token'],
    delivery: 'every-replica',
    purpose:
      "A session ended: every gateway replica adds it to its revocation set so the session's tokens die at once.",
  },
  'token.revoked': {
    kind: 'event',
    servedBy: ['gateway'],
    sentBy: ['token'],
    delivery: 'every-replica',
    purpose:
      'One access token was revoked (RFC 7009 or code reuse): every gateway replica adds its `jti` to its revocation set.',
  },
  'tenant.changed': {
    kind: 'event',
    servedBy: ['gateway'],
    sentBy: ['user-data'],
    delivery: 'every-replica',
    purpose: 'A tenant was created, changed or removed: every gateway replica drops its cached copy.',
  },
  'webhooks.endpoint_disabled': {
    kind: 'event',
    servedBy: [],
    sentBy: ['webhooks'],
    delivery: 'every-replica',
    purpose:
      'The dispatcher disabled an endpoint (410, or failing for the disable period): for operators (also logged and counted).',
  },
};
