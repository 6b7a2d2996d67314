import { SecretBox } from '#security';
import type { EndpointRecord } from './endpoint.record.js';

/**
 * Endpoint secrets at rest: sealed with AES-256-GCM under a key derived for this purpose, bound to the endpoint's
 * id (associated data), so a sealed secret copied to another row does not open.
 */
export class EndpointSecrets {
  private readonly box: SecretBox;

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
    const secrets = [this.box.open(e.secret, e.id)];
    if (e.previousSecret && e.previousSecretValidUntil && e.previousSecretValidUntil.getTime() > nowMs) {
      secrets.push(this.box.open(e.previousSecret, e.id));
    }
    return secrets;
  }
}
