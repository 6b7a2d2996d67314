import { describe, expect, it } from '@jest/globals';
import { HandoverError } from '#contracts';
import { toHttpError } from '#http-edge';
import type { Logger } from '#observability';
import { boundedValue, challengeClient, clientCredentials, readFormParams, requireParam } from './oauth-request.js';

const FORM = 'application/x-www-form-urlencoded';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const silent = { warn: () => undefined, error: () => undefined } as unknown as Logger;

describe(readFormParams.name, () => {
  it('should return single-valued form parameters', () => {
    expect({ ...readFormParams({ contentType: FORM, body: { grant_type: 'authorization_code', code: 'c' } }) }).toEqual(
      {
        grant_type: 'authorization_code',
        code: 'c',
      },
    );
  });

  it('should accept the form media type with parameters and in any case', () => {
    expect(
      readFormParams({ contentType: 'Application/X-WWW-Form-Urlencoded; charset=UTF-8', body: { a: 'b' } }).a,
    ).toBe('b');
  });

  it('should refuse a repeated parameter (RFC 6749 §3.1), as the form parser hands it over: an array', () => {
    expect(() => readFormParams({ contentType: FORM, body: { code: ['a', 'b'] } })).toThrow(
      new HandoverError('invalid_request', 'parameter code is repeated'),
    );
    expect(() => readFormParams({ contentType: FORM, body: { 'x"\n': ['a', 'b'] } })).toThrow(
      new HandoverError('invalid_request', 'a parameter is repeated'),
    );
  });

  it('should refuse a JSON, text or missing body, and any other content type, with invalid_request', () => {
    const cases = [
      { contentType: 'application/json', body: { grant_type: 'authorization_code' } },
      { contentType: 'text/plain', body: 'grant_type=authorization_code' },
      { contentType: undefined, body: undefined },
      { contentType: FORM, body: undefined },
      { contentType: FORM, body: null },
      { contentType: 'multipart/form-data; boundary=x', body: undefined },
      { contentType: 'application/x-www-form-urlencoded-evil', body: {} },
    ];
    for (const request of cases) {
      expect(() => readFormParams(request)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    }
  });

  it('should treat a parameter sent without a value as omitted (RFC 6749 §3.1)', () => {
    const params = readFormParams({ contentType: FORM, body: { code: '', grant_type: 'authorization_code' } });
    expect(() => requireParam(params, 'code')).toThrow(new HandoverError('invalid_request', 'code is required'));
  });

  it('should not let a __proto__ or constructor parameter reach a prototype', () => {
    const body = JSON.parse('{"__proto__": "x", "constructor": "y"}') as Record<string, unknown>;
    const params = readFormParams({ contentType: FORM, body });
    expect(Object.getPrototypeOf(params)).toBeNull();
    expect(params.constructor).toBe('y');
  });
});

describe(clientCredentials.name, () => {
  it('should read client_secret_basic or client_secret_post', () => {
    const none = readFormParams({ contentType: FORM, body: {} });
    expect(clientCredentials({ authorization: basic('v', 's') }, none)).toMatchObject({
      method: 'client_secret_basic',
      clientId: 'v',
      clientSecret: 's',
    });
    const post = readFormParams({ contentType: FORM, body: { client_id: 'v', client_secret: 's' } });
    expect(clientCredentials({ authorization: undefined }, post)).toMatchObject({
      method: 'client_secret_post',
    });
  });

  it('should refuse both methods in one request with invalid_request (RFC 6749 §2.3)', () => {
    const post = readFormParams({ contentType: FORM, body: { client_id: 'v', client_secret: 's' } });
    expect(() => clientCredentials({ authorization: basic('v', 's') }, post)).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
  });

  it('should refuse no credentials with invalid_client', () => {
    const none = readFormParams({ contentType: FORM, body: { client_id: 'v' } });
    expect(() => clientCredentials({ authorization: undefined }, none)).toThrow(
      expect.objectContaining({ code: 'invalid_client' }),
    );
  });
});

describe(challengeClient.name, () => {
  it('should add a Basic challenge naming the issuer to invalid_client, and leave other errors alone', () => {
    const issuer = 'http://localhost:3000/t/demo';
    const failed = challengeClient(new HandoverError('invalid_client', 'client authentication failed'), issuer);
    expect(toHttpError(failed, silent, 'req-1')).toMatchObject({
      status: 401,
      headers: { 'www-authenticate': `Basic realm="${issuer}"` },
    });
    const grant = challengeClient(new HandoverError('invalid_grant', 'nope'), issuer);
    expect(toHttpError(grant, silent, 'req-1').headers).toEqual({});
  });
});

describe(boundedValue.name, () => {
  it('should replace a value longer than any issued one by the empty string, which names nothing', () => {
    expect(boundedValue('abc', 3)).toBe('abc');
    expect(boundedValue('abcd', 3)).toBe('');
  });
});
