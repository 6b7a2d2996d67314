import { SecretBox } from '#security';
import type { EndpointRecord } from './endpoint.record.js';

const MAX_OPENED = 10_000;

/**
 * Endpoint secrets at rest: sealed with AES-256-GCM under a key derived for this purpose, bound to the endpoint's
 * id (associated data), so a sealed secret copied to another row does not open.
 */
export class EndpointSecrets {
  private readonly box: SecretBox;
  /**
   * Opened secrets by endpoint id and sealed value: a delivery would otherwise run AES-GCM once or twice per
   * attempt. The sealed value is part of the key, so a rotation (a new sealed value) is never served a stale
   * secret, and only what opened (authenticated, bound to that endpoint id) is ever cached.
   */
  private readonly opened = new Map<string, string>();

  constructor(secretKey: Buffer) {
    this.box = new SecretBox(secretKey, 'webhook-secrets');
  }

  seal(endpointId: string, secret: string): string {
    return this.box.seal(secret, endpointId);
  }

  /** The secrets that sign a delivery now: the current one, and the previous one during a rotation's overlap. */
  signingSecrets(
    e: Pick<EndpointRecord, 'id' | 'secret' | 'previousSecret' | 'previousSecretValidUntil'>,
    nowMs: number,
  ): string[] {
    if (!e.secret) return [];
    const secrets = [this.open(e.secret, e.id)];
    if (e.previousSecret && e.previousSecretValidUntil && e.previousSecretValidUntil.getTime() > nowMs) {
      secrets.push(this.open(e.previousSecret, e.id));
    }
    return secrets;
  }

  private open(sealed: string, endpointId: string): string {
    const key = `${endpointId}\n${sealed}`;
    let secret = this.opened.get(key);
    if (secret === undefined) {
      secret = this.box.open(sealed, endpointId);
      // Bounded: past this many (endpoints × rotations), start again rather than grow without limit.
      if (this.opened.size >= MAX_OPENED) this.opened.clear();
      this.opened.set(key, secret);
    }
    return secret;
  }
}
