import { describe, expect, it } from '@jest/globals';
import { checkPkce, isValidChallenge, s256 } from './pkce.js';

// RFC 7636 Appendix B test vector.
const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe(checkPkce.name, () => {
  it('should compute S256 as in RFC 7636 Appendix B', () => {
    expect(s256(verifier)).toBe(challenge);
    expect(isValidChallenge(challenge)).toBe(true);
  });

  it('should accept the matching verifier', () => {
    expect(() => checkPkce(challenge, verifier)).not.toThrow();
  });

  it('should refuse a missing or wrong verifier with invalid_grant', () => {
    expect(() => checkPkce(challenge, undefined)).toThrow(expect.objectContaining({ code: 'invalid_grant' }));
    expect(() => checkPkce(challenge, verifier.replace('d', 'e'))).toThrow(
      expect.objectContaining({ code: 'invalid_grant' }),
    );
  });

  it('should refuse verifiers of 42 and 129 characters', () => {
    expect(() => checkPkce(challenge, 'a'.repeat(42))).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    expect(() => checkPkce(challenge, 'a'.repeat(129))).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });

  it('should refuse a verifier for a code issued without a challenge (downgrade guard)', () => {
    expect(() => checkPkce(undefined, verifier)).toThrow(expect.objectContaining({ code: 'invalid_grant' }));
    expect(() => checkPkce(undefined, undefined)).not.toThrow();
  });
});
