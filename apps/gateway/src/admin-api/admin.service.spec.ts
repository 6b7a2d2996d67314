import { beforeEach, describe, expect, it } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { HandoverError, validatePayload, type ApiKeyReply, type TenantReply } from '#contracts';
import { toHttpError } from '#http-edge';
import { RpcClient } from '#messaging';
import type { Logger } from '#observability';
import { automock, type Mocked } from '#mocks';
import { GatewayOptions } from '../gateway.options.js';
import { HostKeys } from '../host-api/host-keys.service.js';
import { TenantDirectory } from '../tenants/tenant-directory.service.js';
import { AdminKeyGuard } from './admin-key.guard.js';
import { AdminService } from './admin.service.js';
import { CreateTenantBody } from './admin.dto.js';

const acme: TenantReply = {
  id: '11111111-1111-4111-8111-111111111111',
  slug: 'acme',
  name: 'Acme Bank',
  outboundNetwork: 'public',
};
const silent = { warn: () => undefined, error: () => undefined } as unknown as Logger;

describe(AdminService.name, () => {
  let sut: AdminService;
  let rpc: Mocked<RpcClient>;
  let tenants: Mocked<TenantDirectory>;

  beforeEach(() => {
    rpc = automock(RpcClient, ['request', 'publish']);
    tenants = automock(TenantDirectory);
    tenants.resolve.mockImplementation(async (slug) => {
      if (slug === 'acme') return acme;
      throw new HandoverError('not_found', 'no such tenant');
    });
    sut = new AdminService(rpc, tenants, new GatewayOptions('https://sso.example', 'embedded'));
  });

  it('should create a tenant and answer its issuer and host key', async () => {
    rpc.request.mockResolvedValue({ id: acme.id, slug: 'acme', name: 'Acme Bank', hostKey: 'hk' } as never);

    await expect(sut.createTenant({ slug: 'acme', name: 'Acme Bank' }, 'req-1')).resolves.toEqual({
      id: acme.id,
      slug: 'acme',
      name: 'Acme Bank',
      issuer: 'https://sso.example/t/acme',
      host_key: 'hk',
    });
    expect(rpc.request).toHaveBeenCalledWith(
      'user-data.tenant.create',
      {
        slug: 'acme',
        name: 'Acme Bank',
        outboundNetwork: undefined,
      },
      'req-1',
    );
  });

  it("should pass the tenant's outbound network on (user-data defaults it to public)", async () => {
    rpc.request.mockResolvedValue({ id: acme.id, slug: 'acme', name: 'Acme Bank', hostKey: 'hk' } as never);

    await sut.createTenant({ slug: 'acme', name: 'Acme Bank', outbound_network: 'loopback' }, 'req-1');
    expect(rpc.request).toHaveBeenCalledWith(
      'user-data.tenant.create',
      {
        slug: 'acme',
        name: 'Acme Bank',
        outboundNetwork: 'loopback',
      },
      'req-1',
    );
  });

  it.each([
    ['an unknown network', 'internet'],
    ['null', null],
    ['a list', ['public']],
  ])('should refuse %s as outbound_network', (_case, outboundNetwork) => {
    expect(() =>
      validatePayload(CreateTenantBody, { slug: 'acme', name: 'Acme', outbound_network: outboundNetwork }),
    ).toThrow('invalid_request');
  });

  it('should register a vendor of the tenant with the defaults, in the bus contract', async () => {
    rpc.request.mockResolvedValue({ clientId: 'planner', clientSecret: 'cs' } as never);

    await expect(
      sut.createVendor(
        'acme',
        {
          client_id: 'planner',
          name: 'Planner',
          plugin_urls: ['https://planner.example/plugin'],
          allowed_origins: ['https://planner.example'],
          scopes: ['profile'],
        },
        'req-1',
      ),
    ).resolves.toEqual({ client_id: 'planner', client_secret: 'cs' });
    expect(rpc.request).toHaveBeenCalledWith(
      'user-data.vendor.create',
      {
        tenantId: acme.id,
        clientId: 'planner',
        name: 'Planner',
        pluginUrls: ['https://planner.example/plugin'],
        redirectUris: [],
        allowedOrigins: ['https://planner.example'],
        config: {},
        scopes: ['profile'],
        pkceRequired: false,
        launchMode: 'redirect',
      },
      'req-1',
    );
    expect(tenants.resolve).toHaveBeenCalledWith('acme', 'req-1');
  });

  it('should answer an unknown tenant with not_found, without asking user-data to create anything', async () => {
    await expect(sut.createUser('nobody', { login: 'erin' }, 'req-1')).rejects.toMatchObject({ code: 'not_found' });
    expect(rpc.request).not.toHaveBeenCalled();
  });

  it('should create a user of the tenant', async () => {
    rpc.request.mockResolvedValue({ id: 'u1', login: 'erin' } as never);

    await expect(sut.createUser('acme', { login: 'erin', password: 'pw' }, 'req-1')).resolves.toEqual({
      id: 'u1',
      login: 'erin',
    });
    expect(rpc.request).toHaveBeenCalledWith(
      'user-data.user.create',
      {
        tenantId: acme.id,
        login: 'erin',
        email: undefined,
        name: undefined,
        password: 'pw',
      },
      'req-1',
    );
  });
});

describe(AdminKeyGuard.name, () => {
  let sut: AdminKeyGuard;
  let keys: Mocked<HostKeys>;
  const context = (authorization?: string) =>
    ({
      switchToHttp: () => ({
        getRequest: () => ({ id: 'req-1', headers: authorization === undefined ? {} : { authorization } }),
      }),
    }) as unknown as ExecutionContext;
  const admin: ApiKeyReply = { kind: 'admin', tenantId: null, label: 'ops' };
  const host: ApiKeyReply = { kind: 'host', tenantId: acme.id, label: 'acme host' };

  beforeEach(() => {
    keys = automock(HostKeys);
    keys.verify.mockImplementation(async (key) => {
      if (key === 'admin-key') return admin;
      if (key === 'host-key') return host;
      throw new HandoverError('unauthorized', 'a valid host API key is required');
    });
    sut = new AdminKeyGuard(keys);
  });

  it('should let an admin key in', async () => {
    await expect(sut.canActivate(context('Bearer admin-key'))).resolves.toBe(true);
    expect(keys.verify).toHaveBeenCalledWith('admin-key', 'req-1');
  });

  it.each([
    ['no header', undefined],
    ['another scheme', 'Basic admin-key'],
    ['an unknown key', 'Bearer wrong'],
    ['a host key', 'Bearer host-key'],
  ])('should refuse %s with 401 unauthorized and a Bearer challenge', async (_case, authorization) => {
    const failure = await sut.canActivate(context(authorization)).catch((e: unknown) => e);

    expect(toHttpError(failure, silent, 'req-1')).toEqual({
      status: 401,
      body: { error: 'unauthorized', error_description: 'a valid admin API key is required' },
      headers: { 'www-authenticate': 'Bearer' },
    });
  });

  it('should pass on an unavailable user-data as 503, not as a wrong key', async () => {
    keys.verify.mockRejectedValue(HandoverError.unavailable('no responders'));

    await expect(sut.canActivate(context('Bearer admin-key'))).rejects.toMatchObject({
      code: 'temporarily_unavailable',
    });
  });
});
