import { createHmac } from 'node:crypto';
import { HandoverError } from '#contracts';
import { constantEquals, deriveKey } from '#security';
import { MAX_POSITION_BYTES } from './banking-connector.js';

/** What a cursor is bound to: it continues only the walk over this account, for this user, in this tenant. */
export interface CursorBinding {
  tenantId: string;
  userId: string;
  accountId: string;
}

const VERSION = 1;
const TAG_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The opaque `next_cursor` of transaction pages: base64url of `version | position | tag`, where `position` is
 * the connector's own position string and `tag` is an HMAC-SHA256 (128 bits) over the version, the binding
 * and the position, under a key derived from the secret key.
 *
 * So a cursor encodes where the walk stands and is bound to its account: a cursor from another account (or
 * user, or tenant), a truncated or an edited one fails verification and `decode` gives `null`. The position is
 * not secret (it names a transaction the caller has seen); the tag only makes it unforgeable, so a connector
 * is never handed a position it did not produce. Any replica with the same secret key reads any replica's cursors.
 */
export class TransactionCursorCodec {
  private readonly key: Buffer;

  constructor(master: Buffer) {
    this.key = deriveKey(master, 'transactions-cursor');
  }

  encode(binding: CursorBinding, position: string): string {
    const bytes = Buffer.from(position, 'utf8');
    if (bytes.length === 0 || bytes.length > MAX_POSITION_BYTES) {
      throw new Error(`a banking connector position must hold 1 to ${MAX_POSITION_BYTES} bytes`);
    }
    const body = Buffer.concat([Buffer.of(VERSION), bytes]);
    return Buffer.concat([body, this.tag(binding, body)]).toString('base64url');
  }

  /** The position the cursor carries, or `null` when it is malformed, forged, truncated or bound elsewhere. */
  decode(binding: CursorBinding, cursor: string): string | null {
    if (!BASE64URL.test(cursor)) return null;
    const bytes = Buffer.from(cursor, 'base64url');
    // Only the canonical spelling: Buffer ignores trailing bits, so `cursor + 'A'` could decode to the same bytes.
    if (bytes.toString('base64url') !== cursor) return null;
    if (bytes.length < 1 + 1 + TAG_BYTES || bytes.length > 1 + MAX_POSITION_BYTES + TAG_BYTES) return null;
    const body = bytes.subarray(0, bytes.length - TAG_BYTES);
    const tag = bytes.subarray(bytes.length - TAG_BYTES);
    if (!constantEquals(tag, this.tag(binding, body)) || body[0] !== VERSION) return null;
    return body.subarray(1).toString('utf8');
  }

  private tag(binding: CursorBinding, body: Buffer): Buffer {
    return (
      createHmac('sha256', this.key)
        // UUIDs are case-insensitive (the contract accepts either case): bind the value, not its spelling.
        .update(JSON.stringify([binding.tenantId, binding.userId, binding.accountId].map((id) => id.toLowerCase())))
        .update('\n')
        .update(body)
        .digest()
        .subarray(0, TAG_BYTES)
    );
  }
}

/** The one error for every cursor that does not verify, whatever was wrong with it. */
export function invalidCursor(): HandoverError {
  return new HandoverError('invalid_request', 'invalid cursor');
}
