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
  UserDataTenantGet: 'user-data.tenant.get',
} as const;

export const EventSubjects = {
  SessionLoggedOut: 'session.logged_out',
  TenantChanged: 'tenant.changed',
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
  'user-data.tenant.get': {
    kind: 'request',
    servedBy: ['user-data'],
    sentBy: ['gateway', 'token'],
    delivery: 'queue-group',
    purpose: 'Looks a tenant up by its slug; `not_found` for an unknown one.',
  },
  'session.logged_out': {
    kind: 'event',
    servedBy: ['gateway'],
    sentBy: ['token'],
    delivery: 'every-replica',
    purpose:
      "A session ended: every gateway replica adds it to its revocation set so the session's tokens die at once.",
  },
  'tenant.changed': {
    kind: 'event',
    servedBy: ['gateway'],
    sentBy: ['user-data'],
    delivery: 'every-replica',
    purpose: 'A tenant was created, changed or removed: every gateway replica drops its cached copy.',
  },
};
