import { sign, verify, type KeyObject } from 'node:crypto';

/**
 * Where ES256 signatures are made and checked (measured on this project's machine, bench/README.md):
 * - `inline` (the default): on the calling thread. The least CPU: ~28 µs per signature and ~57 per verification,
 *   against ~50 and ~85 through the thread pool, whose hand-off (a job, a thread woken, a callback) costs more than
 *   a P-256 signature. Right for a process that serves one app and scales by adding processes (distributed mode).
 * - `thread-pool`: on libuv's pool (node:crypto's callback form). More CPU, but the math runs beside the event
 *   loop: right when one event loop serves all five apps (embedded mode), where it raised the exchange rate by
 *   20–30 %.
 */
export type Es256Execution = 'inline' | 'thread-pool';

let es256Execution: Es256Execution = 'inline';

/** Set once at start by the process's launcher (embedded mode: `thread-pool`); applies to every later call. */
export function setEs256Execution(execution: Es256Execution): void {
  es256Execution = execution;
}

const ES256_OPTIONS = { dsaEncoding: 'ieee-p1363' } as const;

/**
 * Signs a compact JWS with ES256 through node:crypto and a KeyObject made once per key. It produces exactly
 * what jose's SignJWT does (RFC 7515 compact form, the raw R||S signature of RFC 7518 §3.4), at less than half
 * jose's CPU per signature: signing is on every exchange. Where the math runs: `setEs256Execution`.
 */
export async function signEs256Jws(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: KeyObject,
): Promise<string> {
  const input = `${base64url(JSON.stringify({ ...header, alg: 'ES256' }))}.${base64url(JSON.stringify(payload))}`;
  const data = Buffer.from(input);
  const signature =
    es256Execution === 'inline'
      ? sign('sha256', data, { key, ...ES256_OPTIONS })
      : await new Promise<Buffer>((resolve, reject) => {
          sign('sha256', data, { key, ...ES256_OPTIONS }, (err, result) => (err ? reject(err) : resolve(result)));
        });
  return `${input}.${signature.toString('base64url')}`;
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** Every reason a JWS or JWT is refused by `verifyEs256Jwt`: malformed, wrong algorithm, bad signature, claims. */
export class JwsInvalid extends Error {
  override readonly name = 'JwsInvalid';
}

export type JsonObject = Record<string, unknown>;

/** The key for a token's header (its `kid`), or a rejection; called once the header is known to be ES256. */
export type Es256KeyLookup = (header: Readonly<JsonObject>) => KeyObject | Promise<KeyObject>;

/** What a JWT must satisfy besides its signature: jose's `jwtVerify` options, as `verifyEs256Jwt` applies them. */
export interface JwtRules {
  /** The header's `typ`, compared as media types (`at+jwt` = `application/at+jwt`, case-insensitive). */
  typ: string;
  issuer: string;
  /** The `aud` claim is this string, or an array holding it. */
  audience: string;
  /** Claims that must be present (`iss`, `aud`, and `iat` with `maxTokenAgeSeconds`, are required anyway). */
  requiredClaims: readonly string[];
  clockToleranceSeconds: number;
  /** `iat` no further in the past than this (nor in the future). */
  maxTokenAgeSeconds?: number;
  /** The current time, in milliseconds. */
  nowMs: number;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const ES256_SIGNATURE_BYTES = 64;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const checkedKeys = new WeakSet<KeyObject>();

/**
 * Verifies a compact ES256 JWT as jose's `jwtVerify` does with `algorithms: ['ES256']` and the `rules`, through
 * node:crypto and a KeyObject imported once (about half jose's CPU per verification: WebCrypto re-wraps the key
 * and copies the input on every call). Refuses, with `JwsInvalid`: anything but three strict base64url segments
 * (no padding, no other character), a header or payload that is not a UTF-8 JSON object, any `alg` but ES256
 * (`none`, HS256 keyed with the public key...), any `crit` header (no extension is understood here), a signature
 * that is not 64 bytes in canonical base64url or does not verify, and claims that break the `rules`. Errors of
 * `keyFor` (an unknown `kid`, keys unavailable) pass unchanged.
 *
 * `signatureKnownGood` skips only the signature's math (the largest cost), for a caller that knows this exact
 * token string to be authentic (see the gateway's `KnownTokens`); every other check, the key lookup included,
 * still runs.
 */
export async function verifyEs256Jwt(
  token: string,
  keyFor: Es256KeyLookup,
  rules: JwtRules,
  options: { signatureKnownGood?: boolean } = {},
): Promise<{ header: JsonObject; payload: JsonObject }> {
  const segments = token.split('.');
  if (segments.length !== 3) throw new JwsInvalid('not a compact JWS');
  const [encodedHeader, encodedPayload, encodedSignature] = segments;
  const header = jsonObject(decodeSegment(encodedHeader, 'header'), 'header');
  if (header.alg !== 'ES256') throw new JwsInvalid('alg must be ES256');
  if (header.crit !== undefined) throw new JwsInvalid('no crit extension is supported');
  const signature = decodeSegment(encodedSignature, 'signature');
  if (signature.length !== ES256_SIGNATURE_BYTES || signature.toString('base64url') !== encodedSignature) {
    throw new JwsInvalid('malformed signature');
  }
  const payloadBytes = decodeSegment(encodedPayload, 'payload');
  const key = es256PublicKey(await keyFor(header));
  if (
    !options.signatureKnownGood &&
    !(await verifies(Buffer.from(`${encodedHeader}.${encodedPayload}`, 'latin1'), key, signature))
  ) {
    throw new JwsInvalid('signature verification failed');
  }
  const payload = jsonObject(payloadBytes, 'payload');
  checkClaims(header, payload, rules);
  return { header, payload };
}

function decodeSegment(segment: string, what: string): Buffer {
  // Node's base64url decoder skips characters it does not know: check the alphabet and length first.
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) throw new JwsInvalid(`${what} is not base64url`);
  return Buffer.from(segment, 'base64url');
}

function jsonObject(bytes: Buffer, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    throw new JwsInvalid(`${what} is not UTF-8 JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JwsInvalid(`${what} is not a JSON object`);
  }
  return value as JsonObject;
}

function es256PublicKey(key: KeyObject): KeyObject {
  if (checkedKeys.has(key)) return key;
  if (
    key.type !== 'public' ||
    key.asymmetricKeyType !== 'ec' ||
    key.asymmetricKeyDetails?.namedCurve !== 'prime256v1'
  ) {
    throw new JwsInvalid('the key is not a P-256 public key');
  }
  checkedKeys.add(key);
  return key;
}

/** Where `setEs256Execution` says, like signing; any failure of the check is "does not verify". */
function verifies(input: Buffer, key: KeyObject, signature: Buffer): boolean | Promise<boolean> {
  if (es256Execution === 'inline') {
    try {
      return verify('sha256', input, { key, ...ES256_OPTIONS }, signature);
    } catch {
      return false;
    }
  }
  return new Promise((resolve) => {
    try {
      verify('sha256', input, { key, ...ES256_OPTIONS }, signature, (err, valid) => resolve(!err && valid));
    } catch {
      resolve(false);
    }
  });
}

/** RFC 7519 §4.1 and RFC 9068 §4 as jose checks them (same tolerances, same order of comparison). */
function checkClaims(header: JsonObject, claims: JsonObject, rules: JwtRules): void {
  if (typeof header.typ !== 'string' || mediaType(header.typ) !== mediaType(rules.typ)) {
    throw new JwsInvalid('unexpected typ');
  }
  const required = new Set([...rules.requiredClaims, 'iss', 'aud']);
  if (rules.maxTokenAgeSeconds !== undefined) required.add('iat');
  for (const claim of required) {
    if (!Object.hasOwn(claims, claim)) throw new JwsInvalid(`missing ${claim} claim`);
  }
  if (claims.iss !== rules.issuer) throw new JwsInvalid('unexpected iss');
  const aud = claims.aud;
  if (!(aud === rules.audience || (Array.isArray(aud) && aud.includes(rules.audience)))) {
    throw new JwsInvalid('unexpected aud');
  }
  const now = Math.floor(rules.nowMs / 1000);
  const tolerance = rules.clockToleranceSeconds;
  const iat = numericDate(claims, 'iat');
  const nbf = numericDate(claims, 'nbf');
  if (nbf !== undefined && nbf > now + tolerance) throw new JwsInvalid('not yet valid (nbf)');
  const exp = numericDate(claims, 'exp');
  if (exp !== undefined && exp <= now - tolerance) throw new JwsInvalid('expired');
  if (rules.maxTokenAgeSeconds !== undefined && iat !== undefined) {
    const age = now - iat;
    if (age - tolerance > rules.maxTokenAgeSeconds) throw new JwsInvalid('too old (iat)');
    if (age < -tolerance) throw new JwsInvalid('issued in the future (iat)');
  }
}

function numericDate(claims: JsonObject, claim: string): number | undefined {
  const value = claims[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw new JwsInvalid(`${claim} must be a number`);
  return value;
}

function mediaType(typ: string): string {
  const lower = typ.toLowerCase();
  return typ.includes('/') ? lower : `application/${lower}`;
}
