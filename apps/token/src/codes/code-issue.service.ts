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
import { sessionHandle } from '../sessions/session-handle.js';
import { SessionStore } from '../sessions/session.store.js';
import { VendorDirectory } from '../vendors/vendor-directory.js';
import { CodeStore, type CodeRecord } from './code.store.js';

/**
 * Issues a one-time code (256 bits, 30 s) bound to a live session, one vendor, the URI it is delivered to and,
 * when given, a PKCE S256 challenge. The checks, in order: session, vendor, redirect URI, PKCE, scope. The session
 * is checked in the same atomic step that stores the code: one round trip to the store.
 */
@Injectable()
export class CodeIssueService {
  constructor(
    @Inject(SessionStore) private readonly sessions: SessionStore,
    @Inject(VendorDirectory) private readonly vendors: VendorDirectory,
    @Inject(CodeStore) private readonly codes: CodeStore,
  ) {}

  async issue(request: IssueCodeRequest, requestId?: string): Promise<IssueCodeReply> {
    const handle = sessionHandle(request.sessionId);
    let terms: CodeTerms;
    try {
      terms = await this.termsFor(request, requestId);
    } catch (err) {
      // An ended session comes first among the refusals, as if it had been checked first.
      if (!(await this.sessions.find(request.tenantId, handle))) throw noSuchSession();
      throw err;
    }
    const code = randomToken(32);
    const jti = randomUUID();
    const record = { tenantId: request.tenantId, sessionId: handle, ...terms.bound, jti };
    const grantTtl = CODE_TTL_SECONDS + ACCESS_TOKEN_TTL_SECONDS;
    const marker = { tenantId: request.tenantId, jti };
    const stored = await this.codes.saveWhileSessionLives(code, record, CODE_TTL_SECONDS, marker, grantTtl);
    if (!stored) throw noSuchSession();
    return {
      code,
      expiresIn: CODE_TTL_SECONDS,
      redirectUri: record.redirectUri,
      config: terms.config,
      scope: record.scope,
    };
  }

  /** What the code will be bound to, once the vendor, the redirect URI, PKCE and the scope have passed. */
  private async termsFor(request: IssueCodeRequest, requestId: string | undefined): Promise<CodeTerms> {
    const vendor = await this.vendors.find(request.tenantId, request.clientId, requestId);
    if (!vendor) throw new HandoverError('invalid_request', 'unknown vendor');
    const bound = {
      clientId: vendor.clientId,
      redirectUri: boundUri(vendor, request.redirectUri),
      codeChallenge: checkedChallenge(vendor, request),
      scope: grantedScope(vendor, request.scope),
    };
    return { bound, config: vendor.config };
  }
}

interface CodeTerms {
  bound: Pick<CodeRecord, 'clientId' | 'redirectUri' | 'codeChallenge' | 'scope'>;
  config: VendorRecord['config'];
}

function noSuchSession(): HandoverError {
  return new HandoverError('not_found', 'no such session');
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
