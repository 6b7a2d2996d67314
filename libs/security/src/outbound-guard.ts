import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { HandoverError, MAX_ENDPOINT_URL_LENGTH, type OutboundNetwork } from '#contracts';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, type Dispatcher } from 'undici';

/**
 * SSRF guard for every outbound call a tenant can aim (webhooks, back-channel logout, custom identity providers),
 * after the OWASP SSRF cheat sheet, case 2: the destination is any URL, so the resolved addresses are checked,
 * both when the URL is registered and again on every connect (DNS answers change), and redirects are not followed.
 */

/**
 * Unspecified (0.0.0.0, ::, which reach the local host on Linux), broadcast, multicast, documentation,
 * benchmarking, unallocated and other special-purpose ranges all count as `reserved`: never allowed.
 */
export type AddressClass = 'public' | 'loopback' | 'private' | 'link_local' | 'metadata' | 'reserved';

const ALLOWED: Record<OutboundNetwork, ReadonlySet<AddressClass>> = {
  public: new Set(['public']),
  loopback: new Set(['public', 'loopback']),
  private: new Set(['public', 'loopback', 'private']),
};

/** Cloud instance-metadata endpoints (AWS/GCP/Azure/OCI, AWS ECS and EKS, Alibaba, old OCI, AWS IPv6). */
const METADATA_V4 = ['169.254.169.254', '169.254.170.2', '169.254.170.23', '100.100.100.200', '192.0.0.192'].map((a) =>
  ipaddr.IPv4.parse(a),
);
const METADATA_V6 = ['fd00:ec2::254', 'fd00:ec2::23'].map((a) => ipaddr.IPv6.parse(a));
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');

/** Classifies an IP address (IPv6 may be bracketed or carry a zone). Anything that is not an IP is `reserved`. */
export function classifyAddress(ip: string): AddressClass {
  const literal = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  // node:net's parser, not ipaddr's: ipaddr also reads '0x7f.1' or '010.0.0.1' (octal), which no socket call takes.
  switch (isIP(literal)) {
    case 4:
      return classifyIPv4(ipaddr.IPv4.parse(literal));
    case 6:
      return classifyIPv6(ipaddr.IPv6.parse(literal));
    default:
      return 'reserved';
  }
}

function classifyIPv4(addr: ipaddr.IPv4): AddressClass {
  if (METADATA_V4.some((m) => addr.match(m, 32))) return 'metadata';
  const range: string = addr.range();
  switch (range) {
    case 'unicast':
    case 'as112': // globally reachable anycast (RFC 7534/7535, RFC 7450)
    case 'amt':
      return 'public';
    case 'loopback':
      return 'loopback';
    case 'private':
    case 'carrierGradeNat': // 100.64/10: shared address space, an internal network (CGNAT, Tailscale)
      return 'private';
    case 'linkLocal':
      return 'link_local';
    default: // unspecified, broadcast, multicast, reserved
      return 'reserved';
  }
}

function classifyIPv6(addr: ipaddr.IPv6): AddressClass {
  if (addr.isIPv4MappedAddress()) return classifyIPv4(addr.toIPv4Address());
  if (METADATA_V6.some((m) => addr.match(m, 128))) return 'metadata';
  const range: string = addr.range();
  switch (range) {
    case 'unicast':
      // Outside 2000::/3 nothing is allocated, including the deprecated IPv4-compatible ::a.b.c.d.
      return addr.match(GLOBAL_UNICAST_V6) ? 'public' : 'reserved';
    case 'loopback':
      return 'loopback';
    case 'uniqueLocal': // fc00::/7
    case 'deprecatedSiteLocal': // fec0::/10, still routed on site networks
      return 'private';
    case 'linkLocal':
      return 'link_local';
    case 'rfc6052': {
      // NAT64 translates 64:ff9b::a.b.c.d to a.b.c.d, so the embedded address decides; the local-use prefix
      // (64:ff9b:1::/48) has no fixed layout.
      if (!addr.match(NAT64_WELL_KNOWN)) return 'reserved';
      const [, , , , , , hi = 0, lo = 0] = addr.parts;
      return classifyIPv4(new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]));
    }
    case '6to4': {
      // 2002:AABB:CCDD::/48 relays to AA.BB.CC.DD.
      const [, hi = 0, lo = 0] = addr.parts;
      return classifyIPv4(new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]));
    }
    default: // unspecified, multicast, teredo, rfc6145, documentation, benchmarking, orchid, discard, ...
      return 'reserved';
  }
}

/** `public` allows public addresses only; `loopback` adds loopback; `private` adds private and loopback. */
export function isAllowed(ip: string, policy: OutboundNetwork): boolean {
  return ALLOWED[policy].has(classifyAddress(ip));
}

/** Resolves a host name to all its addresses. The default is `dns.lookup` (the OS resolver, /etc/hosts included). */
export type HostResolver = (hostname: string) => Promise<readonly string[]>;

const systemResolver: HostResolver = async (hostname) =>
  (await lookup(hostname, { all: true })).map((entry) => entry.address);

/** Thrown by the guarded dispatcher's connect when an address is refused; nothing was sent. */
export class OutboundBlockedError extends Error {
  readonly code = 'ERR_OUTBOUND_BLOCKED';

  constructor(
    readonly hostname: string,
    readonly address: string,
    readonly addressClass: AddressClass,
    readonly policy: OutboundNetwork,
  ) {
    super(`outbound connection to ${hostname} (${address}, ${addressClass}) refused by network policy '${policy}'`);
    this.name = 'OutboundBlockedError';
  }
}

const MAX_HOSTNAME_LENGTH = 253;
const REGISTRATION_LOOKUP_TIMEOUT_MS = 5_000;

/** RFC 6761 §6.3: `localhost` and `*.localhost` are loopback whatever DNS says. */
function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

function invalid(description: string, cause?: unknown): HandoverError {
  return new HandoverError('invalid_request', description, { cause });
}

/**
 * Registration-time check of an outbound URL: http(s) only, no credentials, no fragment, bounded length, a port
 * in 1..65535, and a destination the tenant's policy allows. An IP-literal host is checked directly; a name is
 * resolved and refused if ANY of its addresses is refused (a rebinding-style mixed answer counts as refused). A name
 * that does not resolve (yet) is accepted: the dispatcher checks every connect anyway. `resolve: false` skips DNS.
 * Returns the parsed URL; throws `HandoverError('invalid_request')`.
 */
export async function checkOutboundUrl(
  url: string,
  policy: OutboundNetwork,
  opts: { resolve?: boolean; resolver?: HostResolver } = {},
): Promise<URL> {
  if (url.length > MAX_ENDPOINT_URL_LENGTH) throw invalid(`url must be at most ${MAX_ENDPOINT_URL_LENGTH} characters`);
  // The URL parser would silently strip these; a URL that needs stripping is not one we store.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f]/.test(url)) throw invalid('url must not contain spaces or control characters');
  if (!URL.canParse(url)) throw invalid('url must be an absolute URL');
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw invalid('url must use http or https');
  // The parser drops an empty userinfo ('http://@host'), so look at the raw authority too.
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1] ?? '';
  if (parsed.username !== '' || parsed.password !== '' || authority.includes('@'))
    throw invalid('url must not contain credentials');
  // '#' can only start a fragment ('http://host/#' leaves `hash` empty, hence the raw check).
  if (url.includes('#')) throw invalid('url must not contain a fragment');
  if (parsed.port === '0') throw invalid('url port must be between 1 and 65535');
  const hostname = parsed.hostname;
  if (hostname === '' || hostname.length > MAX_HOSTNAME_LENGTH) throw invalid('url host is missing or too long');

  const literal = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (isIP(literal) !== 0) {
    const cls = classifyAddress(literal);
    if (!ALLOWED[policy].has(cls))
      throw invalid(`url host is a ${label(cls)} address, which the tenant's outbound network '${policy}' refuses`);
    return parsed;
  }
  if (isLocalhostName(hostname) && !ALLOWED[policy].has('loopback'))
    throw invalid(`url host is a loopback name, which the tenant's outbound network '${policy}' refuses`);
  if (opts.resolve === false) return parsed;

  const addresses = await resolveWithin(
    opts.resolver ?? systemResolver,
    hostname,
    REGISTRATION_LOOKUP_TIMEOUT_MS,
  ).catch(
    () => [] as readonly string[], // unresolvable now: accepted, checked again at connect
  );
  for (const address of addresses) {
    const cls = classifyAddress(address);
    if (!ALLOWED[policy].has(cls))
      throw invalid(
        `url host resolves to a ${label(cls)} address, which the tenant's outbound network '${policy}' refuses`,
        { hostname, address },
      );
  }
  return parsed;
}

function label(cls: AddressClass): string {
  return cls === 'link_local' ? 'link-local' : cls === 'metadata' ? 'cloud metadata' : cls;
}

function resolveWithin(resolver: HostResolver, hostname: string, ms: number): Promise<readonly string[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`DNS lookup of ${hostname} timed out after ${ms} ms`)), ms);
    resolver(hostname).then(
      (addresses) => {
        clearTimeout(timer);
        resolve(addresses);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

export interface GuardedDispatcherOptions {
  /** Bounds the DNS lookup and each TCP/TLS connect attempt. */
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** Sockets per origin (undici default: unlimited). */
  connections?: number;
  /** Replaces `dns.lookup` (tests). */
  resolver?: HostResolver;
}

/** Addresses tried per connect when the first refuses (e.g. `::1` then `127.0.0.1`); each has its own timeout. */
const MAX_CONNECT_ATTEMPTS = 3;

/**
 * An undici `Agent` that resolves each host itself, refuses the connect with `OutboundBlockedError` if ANY address
 * is refused by `policy`, and otherwise connects to the checked IP, so DNS cannot change between check and use.
 * TLS still uses the original host name for SNI and certificate verification. Pools and keep-alive are undici's.
 *
 * Redirects are never followed: this Agent has no redirect interceptor, and undici's `request()` /
 * `dispatcher.request()` return a 3xx as is. Do not use it with `fetch` unless `redirect: 'manual'` is set
 * (fetch follows by default, and a redirect to another host would be checked, but still followed).
 */
export function createGuardedDispatcher(policy: OutboundNetwork, options: GuardedDispatcherOptions): Dispatcher {
  const resolver = options.resolver ?? systemResolver;
  const base = buildConnector({ timeout: options.connectTimeoutMs });

  const connect: buildConnector.connector = (connectOptions, callback) => {
    const { hostname } = connectOptions;
    destinations(hostname).then(
      (addresses) => attempt(addresses, 0),
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), null),
    );

    function attempt(addresses: readonly string[], index: number): void {
      const address = addresses[index] as string;
      base(
        {
          ...connectOptions,
          hostname: address,
          // A name travels as SNI and is what the certificate is verified against; an IP literal sends no SNI.
          servername: connectOptions.servername || (isIP(hostname) === 0 ? hostname : undefined),
        },
        (...args) => {
          const [err] = args;
          if (err && index + 1 < Math.min(addresses.length, MAX_CONNECT_ATTEMPTS)) attempt(addresses, index + 1);
          else callback(...args);
        },
      );
    }
  };

  async function destinations(hostname: string): Promise<readonly string[]> {
    const addresses =
      isIP(hostname) !== 0 ? [hostname] : await resolveWithin(resolver, hostname, options.connectTimeoutMs);
    if (addresses.length === 0) throw new Error(`DNS lookup of ${hostname} returned no address`);
    for (const address of addresses) {
      const cls = classifyAddress(address);
      if (!ALLOWED[policy].has(cls)) throw new OutboundBlockedError(hostname, address, cls, policy);
    }
    return addresses;
  }

  return new Agent({
    connect,
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs,
    ...(options.connections !== undefined ? { connections: options.connections } : {}),
  });
}
