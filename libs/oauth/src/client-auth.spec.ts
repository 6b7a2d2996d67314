import { describe, expect, it } from '@jest/globals';
import { readClientCredentials } from './client-auth.js';

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe(readClientCredentials.name, () => {
  it('should read client_secret_basic, form-decoding both parts', () => {
    expect(readClientCredentials(basic('demo-vendor', 's:e/c r+t'), {})).toEqual({
      method: 'client_secret_basic',
      clientId: 'demo-vendor',
      clientSecret: 's:e/c r+t',
    });
  });

  it('should read a plain part as it is, "+" as a space, and refuse a malformed escape', () => {
    const raw = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
    expect(readClientCredentials(raw('demo-vendor:plain-Secret_1.~'), {})).toMatchObject({
      clientId: 'demo-vendor',
      clientSecret: 'plain-Secret_1.~',
    });
    expect(readClientCredentials(raw('demo+vendor:a+b%2Bc'), {})).toMatchObject({
      clientId: 'demo vendor',
      clientSecret: 'a b+c',
    });
    expect(() => readClientCredentials(raw('demo-vendor:bad%zz'), {})).toThrow(
      expect.objectContaining({ code: 'invalid_client' }),
    );
  });

  it('should read client_secret_post', () => {
    expect(readClientCredentials(undefined, { client_id: 'v', client_secret: 's' })).toEqual({
      method: 'client_secret_post',
      clientId: 'v',
      clientSecret: 's',
    });
  });

  it('should refuse two methods in one request with invalid_request', () => {
    expect(() => readClientCredentials(basic('v', 's'), { client_id: 'v', client_secret: 's' })).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
  });

  it('should refuse no credentials, malformed Basic and non-string values with invalid_client', () => {
    for (const attempt of [
      () => readClientCredentials(undefined, {}),
      () => readClientCredentials('Basic !!!', {}),
      () => readClientCredentials(undefined, { client_id: ['a', 'b'], client_secret: 's' }),
      () => readClientCredentials(basic('v', 'x'.repeat(600)), {}),
    ]) {
      expect(attempt).toThrow(expect.objectContaining({ code: 'invalid_client' }));
    }
  });
});
