import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  ACCESS_TOKEN_TTL_SECONDS,
  CODE_TTL_SECONDS,
  HandoverError,
  type IssueCodeReply,
  type IssueCodeRequest,
  type VendorRecord,
} from '#contracts';
import { isValidChallenge } from '#oauth';
import { randomToken } from '#security';
import { Clock } from '../clock.js';
import { sessionHandle } from '../sessions/session-handle.js';
import { SessionStore } from '../sessions/session.store.js';
import { VendorDirectory } from '../vendors/vendor-directory.js';
import { CodeStore } from './code.store.js';

/**
 * Issues a one-time code (256 bits, 30 s) bound to a live session, one vendor, the URI it is delivered to and,
 * when given, a PKCE S256 challenge. The checks, in order: session, vendor, redirect URI, PKCE, scope.
 */
@Injectable()
export class CodeIssueService {
  constructor(
    @Inject(SessionStore) private readonly sessions: SessionStore,
    @Inject(VendorDirectory) private readonly vendors: VendorDirectory,
    @Inject(CodeStore) private readonly codes: CodeStore,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async issue(request: IssueCodeRequest, requestId?: string): Promise<IssueCodeReply> {
    const session = await this.sessions.find(request.tenantId, sessionHandle(request.sessionId));
    if (!session) throw new HandoverError('not_found', 'no such session');
    const vendor = await this.vendors.find(request.tenantId, request.clientId, requestId);
    if (!vendor) throw new HandoverError('invalid_request', 'unknown vendor');
    const redirectUri = boundUri(vendor, request.redirectUri);
    const codeChallenge = checkedChallenge(vendor, request);
    const scope = grantedScope(vendor, request.scope);

    const code = randomToken(32);
    const jti = randomUUID();
    const now = this.clock.now();
    // The vendor joins the session's vendor set (it will hear of the logout) alongside the code writes: no
    // extra round trip. Should the set's write fail, the call fails too and the code is never handed out.
    await Promise.all([
      this.codes.save(
        code,
        {
          tenantId: request.tenantId,
          sessionId: session.sid,
          clientId: vendor.clientId,
          redirectUri,
          scope,
          codeChallenge,
          jti,
        },
        CODE_TTL_SECONDS,
        { tenantId: request.tenantId, jti },
        CODE_TTL_SECONDS + ACCESS_TOKEN_TTL_SECONDS,
      ),
      this.sessions.addVendor(session, vendor.clientId, now),
    ]);
    return { code, expiresIn: CODE_TTL_SECONDS, redirectUri, config: vendor.config, scope };
  }
}

/** Exact string match against the registered URIs (RFC 9700 §4.1); the plugin URL when none is given. */
function boundUri(vendor: VendorRecord, requested: string | undefined): string {
  if (requested === undefined) {
    const pluginUrl = vendor.pluginUrls[0];
    if (!pluginUrl) throw new HandoverError('invalid_request', 'the vendor has no registered plugin URL');
    return pluginUrl;
  }
  if (!vendor.redirectUris.includes(requested) && !vendor.pluginUrls.includes(requested)) {
    throw new HandoverError('invalid_request', 'redirect_uri is not registered for this vendor');
  }
  return requested;
}

function checkedChallenge(vendor: VendorRecord, request: IssueCodeRequest): string | undefined {
  if (request.codeChallenge === undefined) {
    if (request.codeChallengeMethod !== undefined) throw new HandoverError('invalid_request', 'code_challenge missing');
    if (vendor.pkceRequired) throw new HandoverError('invalid_request', 'this vendor requires PKCE (S256)');
    return undefined;
  }
  if ((request.codeChallengeMethod ?? 'plain') !== 'S256') {
    throw new HandoverError('invalid_request', 'code_challenge_method must be S256');
  }
  if (!isValidChallenge(request.codeChallenge)) throw new HandoverError('invalid_request', 'malformed code_challenge');
  return request.codeChallenge;
}

/** A code request may narrow the vendor's registered scopes, never widen them. */
function grantedScope(vendor: VendorRecord, requested: string | undefined): string {
  if (requested === undefined) return vendor.scopes.join(' ');
  const scopes = [...new Set(requested.split(' ').filter(Boolean))];
  if (scopes.length === 0 || scopes.some((s) => !vendor.scopes.includes(s))) {
    throw new HandoverError('invalid_scope', 'scope exceeds what the vendor is registered for');
  }
  return scopes.join(' ');
}
