import { randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';

export const DEMO_VENDOR = { clientId: 'demo-vendor', clientSecret: 'demo-vendor-secret', tenant: 'demo' } as const;

export interface ExchangeOutcome {
  token: { token_type: string; expires_in: number | undefined; scope: string | undefined };
  claims: Record<string, unknown>;
  me: unknown;
  accounts: unknown;
}

/**
 * The demo vendor's "backend", as a vendor would write it: a stock OAuth client (oauth4webapi) configured only
 * from the discovery document, exchanging the plugin's code with client_secret_basic and calling the data API.
 * It keeps each browser's last token (by a cookie of its own) so the demo can show it refused after logout.
 */
export class DemoVendorBackend {
  /** Each browser's last access token and its session handle (`sid`, the `session_id` of logout webhooks). */
  private readonly tokens = new Map<string, { token: string; sessionId: unknown }>();
  private readonly insecure: boolean;

  constructor(private readonly baseUrl: string) {
    this.insecure = baseUrl.startsWith('http:');
  }

  newBrowserId(): string {
    return randomBytes(16).toString('base64url');
  }

  async exchange(browserId: string, code: string, iss: string | undefined): Promise<ExchangeOutcome> {
    const as = await this.discover();
    const client: oauth.Client = { client_id: DEMO_VENDOR.clientId };
    const params = oauth.validateAuthResponse(
      as,
      client,
      new URLSearchParams(iss ? { code, iss } : { code }),
      oauth.skipStateCheck,
    );
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(DEMO_VENDOR.clientSecret),
      params,
      `${this.baseUrl}/demo/plugin`,
      oauth.nopkce,
      this.options(),
    );
    const result = await oauth.processAuthorizationCodeResponse(as, client, response);
    const [, payload] = result.access_token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    this.tokens.set(browserId, { token: result.access_token, sessionId: claims.sid });
    return {
      token: { token_type: result.token_type, expires_in: result.expires_in, scope: result.scope },
      claims,
      me: await this.call(result.access_token, '/me'),
      accounts: await this.call(result.access_token, '/accounts'),
    };
  }

  /**
   * Tries the browser's last token again: after logout the data API must refuse it. Also names the token's
   * session, so the page can pick that session's `session.logged_out` webhook out of the demo's inbox.
   */
  async recheck(browserId: string): Promise<{ status: number; body: unknown; session_id: unknown } | null> {
    const held = this.tokens.get(browserId);
    return held ? { ...(await this.call(held.token, '/me')), session_id: held.sessionId } : null;
  }

  /** One data API call; a refusal (401 with its `WWW-Authenticate` challenge) is an answer to show, not a failure. */
  private async call(token: string, path: string): Promise<{ status: number; body: unknown }> {
    try {
      const response = await oauth.protectedResourceRequest(
        token,
        'GET',
        this.api(path),
        undefined,
        undefined,
        this.options(),
      );
      return { status: response.status, body: await response.json().catch(() => null) };
    } catch (err) {
      if (err instanceof oauth.WWWAuthenticateChallengeError)
        return { status: err.status, body: { www_authenticate: err.cause } };
      throw err;
    }
  }

  private api(path: string): URL {
    return new URL(`${this.baseUrl}/t/${DEMO_VENDOR.tenant}/api/v1${path}`);
  }

  private async discover(): Promise<oauth.AuthorizationServer> {
    const issuer = new URL(`${this.baseUrl}/t/${DEMO_VENDOR.tenant}`);
    const response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...this.options() });
    return oauth.processDiscoveryResponse(issuer, response);
  }

  /** The demo runs on http://localhost; a real vendor keeps oauth4webapi's https-only default. */
  private options() {
    return this.insecure ? { [oauth.allowInsecureRequests]: true } : {};
  }
}
