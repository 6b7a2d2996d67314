import { beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { QueryFailedError } from 'typeorm';
import type { CreateVendorRequest } from '#contracts';
import { SecretHasher } from '#security';
import { automock, type Mocked } from '#mocks';
import { VendorRegistrations } from './vendor-registrations.service.js';
import { VendorsRepository } from './vendors.repository.js';

const tenantId = '11111111-1111-4111-8111-111111111111';

const request = (over: Partial<CreateVendorRequest> = {}): CreateVendorRequest => ({
  tenantId,
  clientId: 'budget-planner',
  name: 'Budget Planner',
  pluginUrls: ['https://planner.example/plugin'],
  redirectUris: ['https://planner.example/callback'],
  allowedOrigins: ['https://planner.example'],
  config: { theme: 'dark' },
  scopes: ['profile', 'accounts'],
  pkceRequired: true,
  launchMode: 'redirect',
  ...over,
});

/** What the driver throws for a refused row, wrapped as TypeORM wraps it. */
const sqlError = (code: string) => new QueryFailedError('INSERT …', [], Object.assign(new Error('refused'), { code }));

describe(VendorRegistrations.name, () => {
  let sut: VendorRegistrations;
  let repository: Mocked<VendorsRepository>;
  const hasher = new SecretHasher(randomBytes(32));

  beforeEach(() => {
    repository = automock(VendorsRepository);
    repository.insert.mockResolvedValue(undefined);
    sut = new VendorRegistrations(repository, hasher);
  });

  describe('create', () => {
    it('should store the registration with the keyed hash of a fresh secret, and give the secret once', async () => {
      const created = await sut.create(request());

      expect(created.clientId).toBe('budget-planner');
      expect(created.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const [stored] = repository.insert.mock.calls[0];
      expect(stored).toEqual({
        tenantId,
        clientId: 'budget-planner',
        name: 'Budget Planner',
        secretHash: hasher.hash(created.clientSecret),
        pluginUrls: ['https://planner.example/plugin'],
        redirectUris: ['https://planner.example/callback'],
        allowedOrigins: ['https://planner.example'],
        config: { theme: 'dark' },
        scopes: ['profile', 'accounts'],
        pkceRequired: true,
        launchMode: 'redirect',
      });
      expect(JSON.stringify(stored)).not.toContain(created.clientSecret);
    });

    it('should make a different secret every time', async () => {
      const first = await sut.create(request());
      const second = await sut.create(request({ clientId: 'other' }));

      expect(first.clientSecret).not.toBe(second.clientSecret);
    });

    it.each([
      ['http on localhost', 'http://localhost:8080', 'http://localhost:8080/plugin'],
      ['http on 127.0.0.1', 'http://127.0.0.1:3000', 'http://127.0.0.1:3000/p?x=1'],
      ['http on [::1]', 'http://[::1]:3000', 'http://[::1]:3000/p'],
      ['https with a port', 'https://planner.example:8443', 'https://planner.example:8443/plugin'],
    ])('should accept %s', async (_case, origin, url) => {
      await expect(
        sut.create(request({ allowedOrigins: [origin], pluginUrls: [url], redirectUris: [url] })),
      ).resolves.toMatchObject({ clientId: 'budget-planner' });
    });

    it.each([
      ['a relative URL', '/plugin'],
      ['a scheme-relative URL', '//planner.example/plugin'],
      ['another scheme', 'ftp://planner.example/plugin'],
      ['javascript:', 'javascript:alert(1)'],
      ['https without slashes', 'https:planner.example/plugin'],
      ['http off loopback', 'http://planner.example/plugin'],
      ['http on a look-alike of localhost', 'http://localhost.evil.example/plugin'],
      ['a fragment', 'https://planner.example/plugin#x'],
      ['an empty fragment', 'https://planner.example/plugin#'],
      ['credentials', 'https://user:pw@planner.example/plugin'],
      ['a user name', 'https://user@planner.example/plugin'],
      ['an empty user info', 'https://@planner.example/plugin'],
      ['whitespace', 'https://planner.example/plu gin'],
      ['a leading space', ' https://planner.example/plugin'],
      ['not a URL', 'https://'],
    ])('should refuse a plugin URL with %s as invalid_request, storing nothing', async (_case, url) => {
      await expect(sut.create(request({ pluginUrls: [url] }))).rejects.toMatchObject({ code: 'invalid_request' });
      expect(repository.insert).not.toHaveBeenCalled();
    });

    it.each([
      ['a fragment', 'https://planner.example/callback#x'],
      ['http off loopback', 'http://planner.example/callback'],
      ['credentials', 'https://a:b@planner.example/callback'],
    ])('should refuse a redirect URI with %s', async (_case, url) => {
      await expect(sut.create(request({ redirectUris: [url] }))).rejects.toMatchObject({ code: 'invalid_request' });
      expect(repository.insert).not.toHaveBeenCalled();
    });

    it.each([
      ['a trailing slash', 'https://planner.example/'],
      ['a path', 'https://planner.example/plugin'],
      ['a query', 'https://planner.example?x=1'],
      ['the default port written out', 'https://planner.example:443'],
      ['upper-case letters', 'https://Planner.example'],
      ['a wildcard', 'https://*.planner.example'],
      ['a host with odd characters', 'https://plan$ner.example'],
      ['the opaque null origin', 'null'],
      ['http off loopback', 'http://planner.example'],
      ['credentials', 'https://u@planner.example'],
    ])('should refuse an allowed origin with %s', async (_case, origin) => {
      await expect(sut.create(request({ allowedOrigins: ['https://planner.example', origin] }))).rejects.toMatchObject({
        code: 'invalid_request',
      });
      expect(repository.insert).not.toHaveBeenCalled();
    });

    it.each([
      ['another host', 'https://other.example'],
      ['another scheme', 'http://localhost'],
      ['another port', 'https://planner.example:8443'],
    ])('should refuse a plugin URL whose origin is not allowed (%s)', async (_case, origin) => {
      const failure = sut.create(request({ allowedOrigins: [origin] }));

      await expect(failure).rejects.toMatchObject({ code: 'invalid_request' });
      await expect(failure).rejects.toThrow(/not in allowed_origins/);
    });

    it('should check every plugin URL, not only the first', async () => {
      await expect(
        sut.create(request({ pluginUrls: ['https://planner.example/a', 'https://elsewhere.example/b'] })),
      ).rejects.toThrow(/plugin_urls\[1\]/);
    });

    it('should refuse a registration without a plugin URL', async () => {
      await expect(sut.create(request({ pluginUrls: [] }))).rejects.toMatchObject({ code: 'invalid_request' });
    });

    it('should refuse an oversized configuration', async () => {
      await expect(sut.create(request({ config: { blob: 'x'.repeat(9000) } }))).rejects.toMatchObject({
        code: 'invalid_request',
      });
    });

    it('should answer a client id taken in the tenant (the UNIQUE constraint) with conflict, never a 5xx', async () => {
      repository.insert.mockRejectedValue(sqlError('23505'));

      await expect(sut.create(request())).rejects.toMatchObject({
        code: 'conflict',
        description: 'a vendor with this client_id exists in the tenant',
      });
    });

    it('should answer a tenant that does not exist (the FOREIGN KEY) with not_found', async () => {
      repository.insert.mockRejectedValue(sqlError('23503'));

      await expect(sut.create(request())).rejects.toMatchObject({ code: 'not_found' });
    });

    it('should pass any other failure on as it is', async () => {
      const down = new Error('connection lost');
      repository.insert.mockRejectedValue(down);

      await expect(sut.create(request())).rejects.toBe(down);
    });
  });
});
