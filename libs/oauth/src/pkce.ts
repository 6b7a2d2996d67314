import { hash } from 'node:crypto';
import { HandoverError } from '#contracts';
import { constantEquals } from '#security';

/** RFC 7636 §4.1: 43–128 characters of [A-Z a-z 0-9 - . _ ~]. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** An S256 challenge is the base64url SHA-256 of a verifier: exactly 43 characters. */
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export function isValidChallenge(challenge: string): boolean {
  return CHALLENGE.test(challenge);
}

export function s256(verifier: string): string {
  return hash('sha256', verifier, 'base64url');
}

/**
 * Checks the exchange's `code_verifier` against the challenge bound to the code. A verifier sent for a code
 * issued without a challenge is refused too (RFC 9700 §4.8.2, the downgrade guard). Every failure is the same
 * public `invalid_grant`.
 */
export function checkPkce(challenge: string | undefined, verifier: string | undefined): void {
  if (challenge === undefined) {
    if (verifier !== undefined)
      throw new HandoverError('invalid_grant', 'code_verifier sent for a code issued without PKCE');
    return;
  }
  if (verifier === undefined) throw new HandoverError('invalid_grant', 'code_verifier required');
  if (!VERIFIER.test(verifier))
    throw new HandoverError('invalid_request', 'code_verifier must be 43-128 unreserved characters');
  if (!constantEquals(s256(verifier), challenge))
    throw new HandoverError('invalid_grant', 'code_verifier does not match');
}
