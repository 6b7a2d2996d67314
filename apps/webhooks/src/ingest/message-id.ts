import { hash } from 'node:crypto';

/**
 * The `webhook-id` of an event's message to one endpoint: `msg_` + 27 base64url characters (162 bits) of
 * SHA-256(event id, endpoint id). Derived, not random, so an event delivered to the dispatcher twice (stream
 * redelivery, outbox re-publish) maps to the same row and never to a second message.
 */
export function messageIdOf(eventId: string, endpointId: string): string {
  return `msg_${hash('sha256', `${eventId}\n${endpointId}`, 'base64url').slice(0, 27)}`;
}
