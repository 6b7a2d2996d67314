import { HandoverError } from '#contracts';

/** A position in an endpoint's log, newest first: the last message's creation time (µs, as stored) and id. */
export interface MessageCursor {
  createdAt: string;
  id: string;
}

const CREATED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const MESSAGE_ID = /^msg_[A-Za-z0-9_-]{1,64}$/;

/** Opaque to clients (base64url JSON); not secret: a cursor only narrows a query that is tenant-scoped anyway. */
export function encodeCursor(cursor: MessageCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');
}

export function decodeCursor(text: string): MessageCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2) {
      const [createdAt, id] = value as unknown[];
      if (typeof createdAt === 'string' && CREATED_AT.test(createdAt) && typeof id === 'string' && MESSAGE_ID.test(id))
        return { createdAt, id };
    }
  } catch {
    // fall through
  }
  throw new HandoverError('invalid_request', 'cursor is not a cursor of this list');
}
