import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { HandoverError, type OutboundNetwork } from '#contracts';
import { request, type Dispatcher } from 'undici';
import {
  checkOutboundUrl,
  classifyAddress,
  createGuardedDispatcher,
  isAllowed,
  OutboundBlockedError,
  type AddressClass,
  type HostResolver,
} from './outbound-guard.js';

const resolverFor =
  (table: Record<string, readonly string[]>): HostResolver =>
  (hostname) => {
    const addresses = table[hostname];
    return addresses
      ? Promise.resolve(addresses)
      : Promise.reject(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' }));
  };

describe(classifyAddress.name, () => {
  const cases: Record<AddressClass, string[]> = {
    public: [
      '8.8.8.8',
      '1.1.1.1',
      '93.184.215.14',
      '172.15.255.255',
      '172.32.0.0',
      '100.63.255.255',
      '100.128.0.0',
      '169.253.255.255',
      '2606:4700:4700::1111',
      '2a00:1450:4001:80b::200e',
      '::ffff:8.8.8.8',
      '64:ff9b::808:808', // NAT64 of 8.8.8.8
      '2002:808:808::1', // 6to4 of 8.8.8.8
    ],
    loopback: ['127.0.0.1', '127.255.255.254', '::1', '[::1]', '::ffff:127.0.0.1', '64:ff9b::7f00:1'],
    private: [
      '10.0.0.5',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '100.64.0.1', // CGNAT 100.64/10
      '100.127.255.255',
      'fc00::1',
      'fd12:3456:789a::1',
      'fd00:ec2::253',
      'fec0::1',
      '::ffff:10.0.0.5',
      '::ffff:192.168.0.1',
      '2002:a00:5::', // 6to4 of 10.0.0.5
    ],
    link_local: ['169.254.0.1', '169.254.169.123', 'fe80::1', 'fe80::1%eth0', '::ffff:169.254.1.1'],
    metadata: [
      '169.254.169.254',
      '::ffff:169.254.169.254',
      '[::ffff:a9fe:a9fe]',
      'fd00:ec2::254',
      '169.254.170.2',
      '100.100.100.200',
      '64:ff9b::a9fe:a9fe', // NAT64 of 169.254.169.254
    ],
    reserved: [
      '0.0.0.0',
      '0.1.2.3',
      '::',
      '::ffff:0.0.0.0',
      '255.255.255.255',
      '224.0.0.1',
      '239.255.255.250',
      'ff02::1',
      'ff05::1:3',
      '192.0.2.1',
      '198.51.100.1',
      '203.0.113.1',
      '198.18.0.1',
      '240.0.0.1',
      '2001:db8::1',
      '::7f00:1', // IPv4-compatible, deprecated
      '::ffff:0:7f00:1', // RFC 6145 translated
      '2001::1', // Teredo
      '4000::1', // outside 2000::/3
      '64:ff9b:1::a00:5', // local-use NAT64 prefix
      '100::1', // discard-only
    ],
  };

  for (const [expected, addresses] of Object.entries(cases)) {
    it.each(addresses)(`should classify %s as ${expected}`, (ip) => {
      expect(classifyAddress(ip)).toBe(expected);
    });
  }

  it.each([
    'localhost',
    'example.com',
    '',
    '0x7f000001',
    '2130706433',
    '127.1',
    '010.0.0.1',
    '1.2.3.4.5',
    '::ffff:1.2.3',
  ])('should fail closed: %p is not an address node:net accepts, so it is reserved', (input) => {
    expect(classifyAddress(input)).toBe('reserved');
  });
});

describe(isAllowed.name, () => {
  const sample: Record<AddressClass, string> = {
    public: '8.8.8.8',
    loopback: '127.0.0.1',
    private: '10.0.0.5',
    link_local: 'fe80::1',
    metadata: '169.254.169.254',
    reserved: '0.0.0.0',
  };
  const allowed: Record<OutboundNetwork, AddressClass[]> = {
    public: ['public'],
    loopback: ['public', 'loopback'],
    private: ['public', 'loopback', 'private'],
  };

  for (const [policy, classes] of Object.entries(allowed) as [OutboundNetwork, AddressClass[]][]) {
    it.each(Object.entries(sample))(`should, under '${policy}', allow a %s address only if listed`, (cls, ip) => {
      expect(isAllowed(ip, policy)).toBe(classes.includes(cls as AddressClass));
    });
  }

  it.each(['::', '0.0.0.0', 'ff02::1', '224.0.0.1', 'fd00:ec2::254', '169.254.1.1'])(
    'should never allow %s, whatever the policy',
    (ip) => {
      expect(['public', 'loopback', 'private'].some((p) => isAllowed(ip, p as OutboundNetwork))).toBe(false);
    },
  );
});

describe(checkOutboundUrl.name, () => {
  const publicDns = resolverFor({
    'hooks.vendor.example': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  });

  async function refusal(url: string, policy: OutboundNetwork, resolver?: HostResolver): Promise<HandoverError> {
    const err = await checkOutboundUrl(url, policy, { resolver }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HandoverError);
    expect((err as HandoverError).code).toBe('invalid_request');
    return err as HandoverError;
  }

  describe('WH-08 payloads under the public policy', () => {
    it.each([
      ['http://169.254.169.254/latest/meta-data/', /cloud metadata/],
      ['http://127.0.0.1:6379', /loopback/],
      ['http://[::1]', /loopback/],
      ['http://10.0.0.5', /private/],
      ['http://localhost:8080/hook', /loopback name/],
      ['http://api.localhost/', /loopback name/],
      ['http://[::ffff:127.0.0.1]/', /loopback/],
      ['http://0x7f000001/', /loopback/], // the URL parser normalises it to 127.0.0.1
      ['http://2130706433/', /loopback/],
      ['http://0.0.0.0:8080/', /reserved/],
      ['http://[fd00:ec2::254]/latest/meta-data/', /cloud metadata/],
    ])('should refuse %s', async (url, reason) => {
      expect((await refusal(url, 'public')).description).toMatch(reason);
    });

    it('should refuse a name that resolves to 127.0.0.1', async () => {
      const err = await refusal(
        'https://rebind.attacker.example/hook',
        'public',
        resolverFor({ 'rebind.attacker.example': ['127.0.0.1'] }),
      );
      expect(err.description).toBe(
        "url host resolves to a loopback address, which the tenant's outbound network 'public' refuses",
      );
    });

    it('should refuse a name if ANY of its addresses is refused', async () => {
      const resolver = resolverFor({ 'mixed.example': ['93.184.215.14', '10.0.0.5'] });
      expect((await refusal('https://mixed.example/', 'public', resolver)).description).toMatch(/private/);
    });
  });

  it('should accept a public name and return the parsed URL', async () => {
    const sut = await checkOutboundUrl('https://hooks.vendor.example/logout?x=1', 'public', { resolver: publicDns });
    expect(sut).toBeInstanceOf(URL);
    expect(sut.href).toBe('https://hooks.vendor.example/logout?x=1');
  });

  it('should accept a public IP literal', async () => {
    await expect(checkOutboundUrl('http://8.8.8.8:8080/x', 'public')).resolves.toBeInstanceOf(URL);
    await expect(checkOutboundUrl('https://[2606:4700:4700::1111]/', 'public')).resolves.toBeInstanceOf(URL);
  });

  it('should accept a name that does not resolve (checked again at connect)', async () => {
    await expect(
      checkOutboundUrl('https://not-yet.example/', 'public', { resolver: resolverFor({}) }),
    ).resolves.toBeInstanceOf(URL);
  });

  it('should not resolve when resolve is false', async () => {
    const resolver = jest.fn<HostResolver>();
    await expect(
      checkOutboundUrl('https://anything.example/', 'public', { resolve: false, resolver }),
    ).resolves.toBeInstanceOf(URL);
    expect(resolver).not.toHaveBeenCalled();
  });

  it('should widen with the policy: loopback allows 127.0.0.1 but not 10.0.0.5; private allows both', async () => {
    await expect(checkOutboundUrl('http://127.0.0.1:6379', 'loopback')).resolves.toBeInstanceOf(URL);
    await expect(checkOutboundUrl('http://localhost:3000/', 'loopback', { resolve: false })).resolves.toBeInstanceOf(
      URL,
    );
    await refusal('http://10.0.0.5/', 'loopback');
    await expect(checkOutboundUrl('http://10.0.0.5/', 'private')).resolves.toBeInstanceOf(URL);
    await expect(checkOutboundUrl('http://[fd12::1]/', 'private')).resolves.toBeInstanceOf(URL);
    await expect(checkOutboundUrl('http://127.0.0.1/', 'private')).resolves.toBeInstanceOf(URL);
  });

  it.each([
    'http://169.254.169.254/',
    'http://[fe80::1]/',
    'http://[fd00:ec2::254]/',
    'http://0.0.0.0/',
    'http://[::]/',
    'http://224.0.0.1/',
  ])('should refuse %s even under the private policy', async (url) => {
    await refusal(url, 'private');
  });

  it.each([
    ['ftp://example.com/', 'url must use http or https'],
    ['javascript:alert(1)', 'url must use http or https'],
    ['file:///etc/passwd', 'url must use http or https'],
    ['https://user:pw@hooks.vendor.example/', 'url must not contain credentials'],
    ['https://user@hooks.vendor.example/', 'url must not contain credentials'],
    ['https://@hooks.vendor.example/', 'url must not contain credentials'],
    ['https://hooks.vendor.example/#frag', 'url must not contain a fragment'],
    ['https://hooks.vendor.example/#', 'url must not contain a fragment'],
    ['https://hooks.vendor.example:0/', 'url port must be between 1 and 65535'],
    ['https://hooks.vendor.example:65536/', 'url must be an absolute URL'],
    ['/relative/path', 'url must be an absolute URL'],
    ['not a url', 'url must not contain spaces or control characters'],
    [' https://hooks.vendor.example/', 'url must not contain spaces or control characters'],
    ['https://hooks.vendor.example/\nx', 'url must not contain spaces or control characters'],
    [`https://hooks.vendor.example/${'a'.repeat(2048)}`, 'url must be at most 2048 characters'],
    [`https://${'a.'.repeat(130)}example/`, 'url host is missing or too long'],
  ])('should refuse %s: %s', async (url, description) => {
    expect((await refusal(url, 'public', publicDns)).description).toBe(description);
  });
});

describe(createGuardedDispatcher.name, () => {
  const timeouts = { connectTimeoutMs: 2_000, headersTimeoutMs: 2_000, bodyTimeoutMs: 2_000 };
  let target: Server;
  let canary: Server;
  let targetPort: number;
  let canaryPort: number;
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  let canaryHits = 0;
  const dispatchers: Dispatcher[] = [];

  const listen = (server: Server): Promise<number> =>
    new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

  beforeAll(async () => {
    target = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      if (req.url === '/redirect') {
        res.writeHead(302, { location: `http://127.0.0.1:${canaryPort}/internal` }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
    canary = createServer((_req, res) => {
      canaryHits++;
      res.end('canary');
    });
    [targetPort, canaryPort] = await Promise.all([listen(target), listen(canary)]);
  });

  afterEach(async () => {
    await Promise.all(dispatchers.splice(0).map((d) => d.close()));
    seen.length = 0;
    canaryHits = 0;
  });

  afterAll(async () => {
    await Promise.all([target, canary].map((s) => new Promise((resolve) => s.close(resolve))));
  });

  function sut(policy: OutboundNetwork, resolver?: HostResolver): Dispatcher {
    const dispatcher = createGuardedDispatcher(policy, { ...timeouts, resolver });
    dispatchers.push(dispatcher);
    return dispatcher;
  }

  async function blocked(url: string, dispatcher: Dispatcher): Promise<OutboundBlockedError> {
    const err = await request(url, { dispatcher, method: 'POST', body: '{}' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OutboundBlockedError);
    return err as OutboundBlockedError;
  }

  describe("under the 'public' policy", () => {
    it('should refuse a loopback IP literal at connect, and the server should see 0 requests', async () => {
      const err = await blocked(`http://127.0.0.1:${targetPort}/hook`, sut('public'));
      expect(err).toMatchObject({
        address: '127.0.0.1',
        addressClass: 'loopback',
        policy: 'public',
        code: 'ERR_OUTBOUND_BLOCKED',
      });
      expect(seen).toHaveLength(0);
    });

    it('should refuse localhost after resolving it with the system resolver (0 requests)', async () => {
      const err = await blocked(`http://localhost:${targetPort}/hook`, sut('public'));
      expect(err.hostname).toBe('localhost');
      expect(err.addressClass).toBe('loopback');
      expect(seen).toHaveLength(0);
    });

    it('should refuse a name that now resolves to 127.0.0.1 (DNS rebinding after registration)', async () => {
      const dispatcher = sut('public', resolverFor({ 'hooks.vendor.example': ['127.0.0.1'] }));
      await blocked(`http://hooks.vendor.example:${targetPort}/hook`, dispatcher);
      expect(seen).toHaveLength(0);
    });

    it('should refuse a name when any of its addresses is refused', async () => {
      const dispatcher = sut('public', resolverFor({ 'hooks.vendor.example': ['93.184.215.14', '127.0.0.1'] }));
      expect((await blocked(`http://hooks.vendor.example:${targetPort}/`, dispatcher)).address).toBe('127.0.0.1');
      expect(seen).toHaveLength(0);
    });

    it.each([
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]:6379/',
      'http://10.0.0.5/',
      'http://[fd00:ec2::254]/',
    ])('should refuse %s before any socket is opened', async (url) => {
      await blocked(url, sut('public'));
    });
  });

  describe("under the 'loopback' policy", () => {
    it('should deliver to the loopback server', async () => {
      const res = await request(`http://127.0.0.1:${targetPort}/hook`, {
        dispatcher: sut('loopback'),
        method: 'POST',
        body: '{}',
      });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe('ok');
      expect(seen).toHaveLength(1);
    });

    it('should deliver to localhost', async () => {
      const res = await request(`http://localhost:${targetPort}/hook`, { dispatcher: sut('loopback') });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      expect(seen).toHaveLength(1);
    });

    it('should try the next address when one refuses the connection (the server listens on 127.0.0.1 only)', async () => {
      const dispatcher = sut('loopback', resolverFor({ 'dual.localhost.example': ['::1', '127.0.0.1'] }));
      const res = await request(`http://dual.localhost.example:${targetPort}/`, { dispatcher });
      await res.body.dump();
      expect(res.statusCode).toBe(200);
      expect(seen).toHaveLength(1);
    });

    it('should connect to the checked address and keep the original Host header', async () => {
      const dispatcher = sut('loopback', resolverFor({ 'hooks.vendor.example': ['127.0.0.1'] }));
      const res = await request(`http://hooks.vendor.example:${targetPort}/hook`, { dispatcher });
      await res.body.dump();
      expect(res.statusCode).toBe(200);
      expect(seen[0]?.headers.host).toBe(`hooks.vendor.example:${targetPort}`);
    });

    it('should return a 302 as is and never follow it (the canary sees 0 requests)', async () => {
      const res = await request(`http://127.0.0.1:${targetPort}/redirect`, {
        dispatcher: sut('loopback'),
        method: 'POST',
        body: '{}',
      });
      await res.body.dump();
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe(`http://127.0.0.1:${canaryPort}/internal`);
      expect(canaryHits).toBe(0);
    });

    it('should still refuse private and metadata addresses', async () => {
      await blocked('http://10.0.0.5/', sut('loopback'));
      await blocked('http://169.254.169.254/', sut('private'));
    });
  });

  it('should send the original host name as TLS SNI while connecting to the checked IP', async () => {
    const servernames: string[] = [];
    const tlsServer = createTlsServer({
      SNICallback: (name, cb) => {
        servernames.push(name);
        cb(new Error('test server has no certificate'));
      },
    });
    const port = await new Promise<number>((resolve) =>
      tlsServer.listen(0, '127.0.0.1', () => resolve((tlsServer.address() as AddressInfo).port)),
    );
    try {
      const dispatcher = sut('loopback', resolverFor({ 'idp.vendor.example': ['127.0.0.1'] }));
      const err = await request(`https://idp.vendor.example:${port}/`, { dispatcher }).then(
        () => undefined,
        (e: unknown) => e,
      );
      // The handshake fails (the test server has no certificate), after the client sent its SNI.
      expect(err).not.toBeInstanceOf(OutboundBlockedError);
      expect(err).toMatchObject({ code: 'ECONNRESET' });
      expect(servernames).toEqual(['idp.vendor.example']);
    } finally {
      await new Promise((resolve) => tlsServer.close(resolve));
    }
  });

  it('should bound a hanging DNS lookup by the connect timeout', async () => {
    const dispatcher = createGuardedDispatcher('public', {
      ...timeouts,
      connectTimeoutMs: 100,
      resolver: () => new Promise<readonly string[]>(() => undefined),
    });
    dispatchers.push(dispatcher);
    await expect(request('http://slow-dns.example/', { dispatcher })).rejects.toThrow(/timed out after 100 ms/);
  });
});
