import type { EventSubject, RequestSubject } from './subjects.js';
import { GetJwksRequest, type JwksReply } from './token/get-jwks.js';
import {
  ExchangeCodeRequest,
  IntrospectRequest,
  IssueCodeRequest,
  RevokeRequest,
  type IntrospectionReply,
  type IssueCodeReply,
  type RevokeReply,
  type TokenReply,
} from './token/codes.js';
import {
  CreateSessionRequest,
  EndSessionRequest,
  GetSessionRequest,
  type CreateSessionReply,
  type EndSessionReply,
  type SessionRecord,
} from './token/sessions.js';
import { VerifyPasswordRequest } from './identity/verify-password.js';
import { GetTenantRequest, type TenantReply } from './user-data/get-tenant.js';
import {
  CreateTenantRequest,
  CreateUserRequest,
  CreateVendorRequest,
  type CreatedTenantReply,
  type CreatedUserReply,
  type CreatedVendorReply,
} from './user-data/admin.js';
import {
  GetUserCredentialsRequest,
  GetVendorRequest,
  ListAccountsRequest,
  ListTransactionsRequest,
  ResolveUserRequest,
  VerifyApiKeyRequest,
  type AccountsReply,
  type ApiKeyReply,
  type TransactionsReply,
  type UserCredentialsReply,
  type UserProfile,
  type VendorRecord,
} from './user-data/principals.js';
import { SessionLoggedOut } from './events/session-logged-out.js';
import { TenantChanged } from './events/tenant-changed.js';
import { TokenRevoked } from './events/token-revoked.js';
import { SignLogoutTokenRequest, type LogoutTokenReply } from './token/logout-token.js';
import {
  CreateEndpointRequest,
  EndpointDisabled,
  EndpointRef,
  ListEndpointsRequest,
  ListMessagesRequest,
  MessageRef,
  ReplayRangeRequest,
  RotateSecretRequest,
  UpdateEndpointRequest,
  type CreatedEndpointReply,
  type DeletedReply,
  type EndpointsReply,
  type EndpointView,
  type MessageDetail,
  type MessagesPage,
  type ReplayReply,
  type RotatedSecretReply,
} from './webhooks/endpoints.js';
import type { PayloadClass } from './validation.js';

/**
 * Each request subject's payload and reply. `RpcClient.request` and `@HandleRequest` are both typed from this
 * map, so a caller and a handler cannot disagree on a payload without a compile error.
 */
export interface RequestMap {
  'token.jwks.get': { request: GetJwksRequest; reply: JwksReply };
  'token.session.create': { request: CreateSessionRequest; reply: CreateSessionReply };
  'token.session.get': { request: GetSessionRequest; reply: SessionRecord };
  'token.session.end': { request: EndSessionRequest; reply: EndSessionReply };
  'token.code.issue': { request: IssueCodeRequest; reply: IssueCodeReply };
  'token.code.exchange': { request: ExchangeCodeRequest; reply: TokenReply };
  'token.introspect': { request: IntrospectRequest; reply: IntrospectionReply };
  'token.revoke': { request: RevokeRequest; reply: RevokeReply };
  'identity.password.verify': { request: VerifyPasswordRequest; reply: UserProfile };
  'user-data.tenant.get': { request: GetTenantRequest; reply: TenantReply };
  'user-data.api-key.verify': { request: VerifyApiKeyRequest; reply: ApiKeyReply };
  'user-data.user.resolve': { request: ResolveUserRequest; reply: UserProfile };
  'user-data.user.credentials': { request: GetUserCredentialsRequest; reply: UserCredentialsReply };
  'user-data.vendor.get': { request: GetVendorRequest; reply: VendorRecord };
  'user-data.accounts.list': { request: ListAccountsRequest; reply: AccountsReply };
  'user-data.transactions.list': { request: ListTransactionsRequest; reply: TransactionsReply };
  'user-data.tenant.create': { request: CreateTenantRequest; reply: CreatedTenantReply };
  'user-data.vendor.create': { request: CreateVendorRequest; reply: CreatedVendorReply };
  'user-data.user.create': { request: CreateUserRequest; reply: CreatedUserReply };
  'token.logout-token.sign': { request: SignLogoutTokenRequest; reply: LogoutTokenReply };
  'webhooks.endpoint.create': { request: CreateEndpointRequest; reply: CreatedEndpointReply };
  'webhooks.endpoint.list': { request: ListEndpointsRequest; reply: EndpointsReply };
  'webhooks.endpoint.get': { request: EndpointRef; reply: EndpointView };
  'webhooks.endpoint.update': { request: UpdateEndpointRequest; reply: EndpointView };
  'webhooks.endpoint.delete': { request: EndpointRef; reply: DeletedReply };
  'webhooks.endpoint.rotate-secret': { request: RotateSecretRequest; reply: RotatedSecretReply };
  'webhooks.message.list': { request: ListMessagesRequest; reply: MessagesPage };
  'webhooks.message.get': { request: MessageRef; reply: MessageDetail };
  'webhooks.message.replay': { request: MessageRef; reply: ReplayReply };
  'webhooks.message.replay-range': { request: ReplayRangeRequest; reply: ReplayReply };
}

/** Each event subject's payload. */
export interface EventMap {
  'session.logged_out': SessionLoggedOut;
  'token.revoked': TokenRevoked;
  'tenant.changed': TenantChanged;
  'webhooks.endpoint_disabled': EndpointDisabled;
}

export type RequestOf<S extends RequestSubject> = RequestMap[S]['request'];
export type ReplyOf<S extends RequestSubject> = RequestMap[S]['reply'];
export type EventOf<E extends EventSubject> = EventMap[E];

/** The class that validates each subject's payload on receipt (used by the handler decorators). */
export const RequestPayloads: { readonly [S in RequestSubject]: PayloadClass<RequestOf<S>> } = {
  'token.jwks.get': GetJwksRequest,
  'token.session.create': CreateSessionRequest,
  'token.session.get': GetSessionRequest,
  'token.session.end': EndSessionRequest,
  'token.code.issue': IssueCodeRequest,
  'token.code.exchange': ExchangeCodeRequest,
  'token.introspect': IntrospectRequest,
  'token.revoke': RevokeRequest,
  'identity.password.verify': VerifyPasswordRequest,
  'user-data.tenant.get': GetTenantRequest,
  'user-data.api-key.verify': VerifyApiKeyRequest,
  'user-data.user.resolve': ResolveUserRequest,
  'user-data.user.credentials': GetUserCredentialsRequest,
  'user-data.vendor.get': GetVendorRequest,
  'user-data.accounts.list': ListAccountsRequest,
  'user-data.transactions.list': ListTransactionsRequest,
  'user-data.tenant.create': CreateTenantRequest,
  'user-data.vendor.create': CreateVendorRequest,
  'user-data.user.create': CreateUserRequest,
  'token.logout-token.sign': SignLogoutTokenRequest,
  'webhooks.endpoint.create': CreateEndpointRequest,
  'webhooks.endpoint.list': ListEndpointsRequest,
  'webhooks.endpoint.get': EndpointRef,
  'webhooks.endpoint.update': UpdateEndpointRequest,
  'webhooks.endpoint.delete': EndpointRef,
  'webhooks.endpoint.rotate-secret': RotateSecretRequest,
  'webhooks.message.list': ListMessagesRequest,
  'webhooks.message.get': MessageRef,
  'webhooks.message.replay': MessageRef,
  'webhooks.message.replay-range': ReplayRangeRequest,
};

export const EventPayloads: { readonly [E in EventSubject]: PayloadClass<EventOf<E>> } = {
  'session.logged_out': SessionLoggedOut,
  'token.revoked': TokenRevoked,
  'tenant.changed': TenantChanged,
  'webhooks.endpoint_disabled': EndpointDisabled,
};

// Compile-time guards: every subject in subjects.ts has an entry in the maps, and nothing else does.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const requestMapIsComplete: Exact<keyof RequestMap, RequestSubject> = true;
const eventMapIsComplete: Exact<keyof EventMap, EventSubject> = true;
void requestMapIsComplete;
void eventMapIsComplete;
