import { Inject, Injectable } from '@nestjs/common';
import { hash } from 'node:crypto';
import { HandoverError, type ApiKeyReply } from '#contracts';
import { withResponseHeaders } from '#http-edge';
import { RpcClient } from '#messaging';
import { BoundedMap } from '../bounded-map.js';
import { Clock } from '../http/clock.js';

/** A verified key is trusted this long on this replica; a revoked key may keep working that long. */
export const HOST_KEY_CACHE_MS = 60_000;
const MAX_CACHED_KEYS = 10_000;
const MAX_KEY_LENGTH = 512;

/** Errors of the key lookup that say nothing about the key: passed on (503) instead of becoming 401. */
const UNAVAILABLE = new Set(['temporarily_unavailable', 'bad_gateway', 'gateway_timeout']);

/**
 * Host and admin API keys, verified by user-data (`user-data.api-key.verify`, keyed hash, constant time) and
 * remembered on this replica for a minute so a busy host does not cost a bus round trip per call. The cache is
 * keyed by the key's SHA-256, never the key itself, and holds only keys that verified.
 */
@Injectable()
export class HostKeys {
  private readonly verified = new BoundedMap<string, { key: ApiKeyReply; expiresAt: number }>(MAX_CACHED_KEYS);

  constructor(
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /**
   * What the key is, or `unauthorized` for an unknown, malformed or revoked one. `requestId` names the request on
   * the lookup a cache miss makes.
   */
  async verify(key: string, requestId?: string): Promise<ApiKeyReply> {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw unauthorized();
    const digest = hash('sha256', key, 'base64url');
    const now = this.clock.now();
    const cached = this.verified.get(digest);
    if (cached && cached.expiresAt > now) return cached.key;
    this.verified.delete(digest);
    let reply: ApiKeyReply;
    try {
      reply = await this.rpc.request('user-data.api-key.verify', { key }, requestId);
    } catch (err) {
      if (err instanceof HandoverError && UNAVAILABLE.has(err.code)) throw err;
      throw unauthorized(err);
    }
    this.verified.set(digest, { key: reply, expiresAt: now + HOST_KEY_CACHE_MS });
    return reply;
  }
}

/** `401 unauthorized` with the `WWW-Authenticate: Bearer` challenge: every host-key failure is this one answer. */
export function unauthorized(cause?: unknown): HandoverError {
  return withResponseHeaders(new HandoverError('unauthorized', 'a valid host API key is required', { cause }), {
    'www-authenticate': 'Bearer',
  });
}
