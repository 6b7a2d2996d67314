import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { WEBHOOK_SECRET_PATTERN } from '#contracts';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com/): `v1,<base64 HMAC-SHA256>` over
 * `{webhook-id}.{webhook-timestamp}.{raw body}`, keyed by the base64-decoded part of a `whsec_` secret.
 * The body is signed as the exact bytes sent: re-serializing it breaks the signature, by design.
 */

const SECRET_PREFIX = 'whsec_';

/** `whsec_` + base64 of 32 random bytes (the spec asks for at least 24). */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

// Decoded keys, so a fan-out does not base64-decode the same secret per delivery. Bounded: cleared when full.
const MAX_CACHED_KEYS = 1_000;
const keyCache = new Map<string, KeyObject>();

function signingKey(secret: string): KeyObject {
  let key = keyCache.get(secret);
  if (key) return key;
  if (!WEBHOOK_SECRET_PATTERN.test(secret)) throw new Error('a webhook secret must be whsec_ + base64');
  key = createSecretKey(Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64'));
  if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear();
  keyCache.set(secret, key);
  return key;
}

/**
 * The `webhook-signature` header value: one `v1,<base64>` per secret, space-separated (two during a rotation, so
 * receivers holding either secret verify). Sign every attempt afresh with the current time: receivers reject a
 * timestamp more than 5 minutes off.
 */
export function signWebhook(
  secrets: readonly string[],
  msgId: string,
  timestampSeconds: number,
  rawBody: string | Buffer,
): string {
  if (secrets.length === 0) throw new Error('at least one webhook secret is needed');
  if (msgId === '' || /[\s,]/.test(msgId)) throw new Error('a webhook id must be non-empty, without spaces or commas');
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0)
    throw new Error('a webhook timestamp must be integer seconds');
  const prefix = Buffer.from(`${msgId}.${timestampSeconds}.`, 'utf8');
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  return secrets
    .map((secret) => `v1,${createHmac('sha256', signingKey(secret)).update(prefix).update(body).digest('base64')}`)
    .join(' ');
}

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The three Standard Webhooks headers for one attempt; `webhook-timestamp` is `nowMs` in whole seconds. */
export function webhookHeaders(
  secrets: readonly string[],
  msgId: string,
  nowMs: number,
  rawBody: string | Buffer,
): WebhookHeaders {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(secrets, msgId, timestamp, rawBody),
  };
}
