import type { EventSubject, RequestSubject } from './subjects.js';
import { GetJwksRequest, type JwksReply } from './token/get-jwks.js';
import { GetTenantRequest, type TenantReply } from './user-data/get-tenant.js';
import { SessionLoggedOut } from './events/session-logged-out.js';
import { TenantChanged } from './events/tenant-changed.js';
import type { PayloadClass } from './validation.js';

/**
 * Each request subject's payload and reply. `RpcClient.request` and `@HandleRequest` are both typed from this
 * map, so a caller and a handler cannot disagree on a payload without a compile error.
 */
export interface RequestMap {
  'token.jwks.get': { request: GetJwksRequest; reply: JwksReply };
  'user-data.tenant.get': { request: GetTenantRequest; reply: TenantReply };
}

/** Each event subject's payload. */
export interface EventMap {
  'session.logged_out': SessionLoggedOut;
  'tenant.changed': TenantChanged;
}

export type RequestOf<S extends RequestSubject> = RequestMap[S]['request'];
export type ReplyOf<S extends RequestSubject> = RequestMap[S]['reply'];
export type EventOf<E extends EventSubject> = EventMap[E];

/** The class that validates each subject's payload on receipt (used by the handler decorators). */
export const RequestPayloads: { readonly [S in RequestSubject]: PayloadClass<RequestOf<S>> } = {
  'token.jwks.get': GetJwksRequest,
  'user-data.tenant.get': GetTenantRequest,
};

export const EventPayloads: { readonly [E in EventSubject]: PayloadClass<EventOf<E>> } = {
  'session.logged_out': SessionLoggedOut,
  'tenant.changed': TenantChanged,
};

// Compile-time guards: every subject in subjects.ts has an entry in the maps, and nothing else does.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const requestMapIsComplete: Exact<keyof RequestMap, RequestSubject> = true;
const eventMapIsComplete: Exact<keyof EventMap, EventSubject> = true;
void requestMapIsComplete;
void eventMapIsComplete;
