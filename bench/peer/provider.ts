// The peer, configured like Handover (../../shared/BENCH.md "The peer"): one confidential client with
// client_secret_basic, resource indicators with an ES256 `at+jwt` access token, no `openid` scope (so no ID token),
// codes minted through its own models.
import Provider, { type AdapterConstructor, type JWK } from 'oidc-provider';

export const CLIENT_ID = 'bench-vendor';
export const CLIENT_SECRET = 'bench-vendor-secret';
export const REDIRECT_URI = 'http://127.0.0.1/bench/plugin';
export const RESOURCE = 'http://127.0.0.1/api';
/** The demo vendor's scopes in Handover. */
export const SCOPE = 'profile accounts vendor_data';

export function createProvider(issuer: string, adapter: AdapterConstructor, signingJwk: JWK): Provider {
  const provider = new Provider(issuer, {
    adapter,
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [REDIRECT_URI],
        // Only an EC key is in the JWKS (no ID token is ever issued: no openid scope).
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [signingJwk] },
    // The access token lives as long as Handover's (30 min); codes and grants outlast a run's pre-minted codes.
    ttl: { AccessToken: 1800, AuthorizationCode: 600, Grant: 3600, Session: 3600, Interaction: 600 },
    findAccount: async (_ctx, accountId) => ({ accountId, claims: async () => ({ sub: accountId }) }),
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => RESOURCE,
        useGrantedResource: async () => true,
        getResourceServerInfo: async () => ({
          scope: SCOPE,
          audience: RESOURCE,
          accessTokenTTL: 1800,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
    pkce: { required: () => false },
    cookies: { keys: ['bench-cookie-key-not-a-secret'] },
  });
  provider.proxy = false;
  return provider;
}

/**
 * Pre-mints `n` codes (outside the timed window): one `Grant` per account with the resource's scope, saved, then
 * `AuthorizationCode`s for those grants, saved, round robin over the accounts. Returns the code values.
 */
export async function mintCodes(provider: Provider, n: number, accounts = 64): Promise<string[]> {
  const client = await provider.Client.find(CLIENT_ID);
  if (!client) throw new Error(`no client ${CLIENT_ID}`);
  const grants: Array<{ accountId: string; grantId: string }> = [];
  for (let a = 0; a < accounts; a++) {
    const accountId = `account-${a}`;
    const grant = new provider.Grant({ accountId, clientId: CLIENT_ID });
    grant.addResourceScope(RESOURCE, SCOPE);
    grants.push({ accountId, grantId: await grant.save() });
  }
  const codes = new Array<string>(n);
  const BATCH = 256;
  for (let i = 0; i < n; i += BATCH) {
    const batch: Array<Promise<unknown>> = [];
    for (let j = i; j < Math.min(n, i + BATCH); j++) {
      const { accountId, grantId } = grants[j % accounts];
      const code = new provider.AuthorizationCode({
        accountId,
        grantId,
        client,
        gty: 'authorization_code',
        redirectUri: REDIRECT_URI,
        scope: SCOPE,
        resource: RESOURCE,
      });
      batch.push(code.save().then((value) => (codes[j] = value)));
    }
    await Promise.all(batch);
  }
  return codes;
}
