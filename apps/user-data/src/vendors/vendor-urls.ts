import { HandoverError } from '#contracts';

/** The hosts plain `http` is allowed for: the vendor's developer machine, never the network. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Whitespace or control characters: the URL parser would drop or encode them, so the stored string would lie. */
/** A DNS name (after IDNA), an IPv4 address, or a bracketed IPv6 address: no wildcards, no oddities. */
const HOSTNAME = /^(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?|\[[0-9a-f:.]+\])$/;
const UNSAFE_CHARACTERS = /[\s\p{Cc}]/u;

function refuse(description: string): HandoverError {
  return new HandoverError('invalid_request', description);
}

/** Parses `value` as an absolute `https` URL (or `http` on a loopback host), or says which rule it breaks. */
function parseWebUrl(what: string, value: string): URL {
  if (UNSAFE_CHARACTERS.test(value)) throw refuse(`${what} must not contain whitespace or control characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refuse(`${what} must be an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse(`${what} must be an http(s) URL`);
  if (!HOSTNAME.test(url.hostname)) throw refuse(`${what} must name a host`);
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
    throw refuse(`${what} must use https (http is allowed for localhost, 127.0.0.1 and [::1] only)`);
  }
  // The parser drops an empty `@` and forgives `https:host`; the raw authority is checked as written.
  const authority = /^https?:\/\/([^/?#]*)/i.exec(value)?.[1];
  if (authority === undefined) throw refuse(`${what} must be an absolute URL`);
  if (url.username !== '' || url.password !== '' || authority.includes('@')) {
    throw refuse(`${what} must not carry credentials`);
  }
  return url;
}

/** A plugin or redirect URL: absolute http(s), no fragment, no credentials. */
export function checkVendorUrl(what: string, value: string): URL {
  if (value.includes('#')) throw refuse(`${what} must not have a fragment`);
  return parseWebUrl(what, value);
}

/** An origin exactly as browsers serialize it: `scheme://host[:port]`, nothing more, default port left out. */
export function checkOrigin(what: string, value: string): string {
  const url = parseWebUrl(what, value);
  if (url.origin !== value) throw refuse(`${what} must be exactly scheme://host[:port] (as browsers write it)`);
  return value;
}

export interface VendorUrls {
  pluginUrls: readonly string[];
  redirectUris: readonly string[];
  allowedOrigins: readonly string[];
}

/**
 * Every rule on a vendor's URLs beyond the contract's shapes: at least one plugin URL; every URL absolute
 * http(s) (http only on loopback) without fragment or credentials; every origin exact; and every plugin URL's
 * origin among the allowed origins (the framed plugin gets its code by `postMessage` to that origin only).
 */
export function checkVendorUrls(urls: VendorUrls): void {
  if (urls.pluginUrls.length === 0) throw refuse('plugin_urls must hold at least one URL');
  const origins = new Set(urls.allowedOrigins.map((o, i) => checkOrigin(`allowed_origins[${i}]`, o)));
  urls.pluginUrls.forEach((u, i) => {
    const url = checkVendorUrl(`plugin_urls[${i}]`, u);
    if (!origins.has(url.origin)) throw refuse(`plugin_urls[${i}]: its origin ${url.origin} is not in allowed_origins`);
  });
  urls.redirectUris.forEach((u, i) => checkVendorUrl(`redirect_uris[${i}]`, u));
}
