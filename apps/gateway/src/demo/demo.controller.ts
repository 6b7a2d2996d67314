import type {} from '@fastify/cookie';
import { Body, Controller, Get, Header, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEMO_WEBHOOK_SECRET, HandoverError } from '#contracts';
import { RpcClient } from '#messaging';
import { GatewayOptions } from '../gateway.options.js';
import { KEEP_RAW_BODY, rawBodyOf } from '../http/raw-body.js';
import { PAGE_HEADERS } from '../pages/html.js';
import { checkCsrf, issueCsrfToken, readSessionId, setSessionCookie } from '../pages/hub-session.js';
import { TenantDirectory } from '../tenants/tenant-directory.service.js';
import { renderBankPage, renderPluginPage } from './demo.pages.js';
import { DEMO_VENDOR, DemoVendorBackend } from './demo-vendor.backend.js';
import { DemoWebhookInbox, type ReceivedWebhook } from './demo-webhooks.js';

const VENDOR_COOKIE = 'demo_vendor_browser';

/**
 * The demo of SPEC §8, served only when the demo is on: a host platform ("Demo Bank") that signs the user in
 * and opens the vendor's plugin through Handover, and the demo vendor's plugin page, backend and webhook endpoint.
 */
@ApiExcludeController()
@Controller('demo')
export class DemoController {
  private readonly vendor: DemoVendorBackend;
  private readonly inbox = new DemoWebhookInbox(DEMO_WEBHOOK_SECRET);

  constructor(
    @Inject(TenantDirectory) private readonly tenants: TenantDirectory,
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(GatewayOptions) private readonly options: GatewayOptions,
  ) {
    this.vendor = new DemoVendorBackend(options.publicBaseUrl);
  }

  @Get()
  async bank(
    @Query('after') after: unknown,
    @Query('error') error: unknown,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    const tenant = await this.tenants.resolve(DEMO_VENDOR.tenant, req.id);
    const sessionId = readSessionId(req, tenant.slug);
    const session = sessionId
      ? await this.rpc
          .request('token.session.get', { tenantId: tenant.id, sessionId }, req.id)
          .catch((err: unknown) => {
            if (err instanceof HandoverError && err.code === 'not_found') return undefined;
            throw err;
          })
      : undefined;
    const csrf = issueCsrfToken(req, reply, this.options.publicBaseUrl);
    void reply.headers(PAGE_HEADERS).send(
      renderBankPage({
        user: session?.user,
        csrf,
        error: error === 'login' ? 'Wrong login or password.' : undefined,
        loggedOut: after === 'logout',
      }),
    );
  }

  @Post('login')
  async login(
    @Body() body: Record<string, unknown> | undefined,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    const tenant = await this.tenants.resolve(DEMO_VENDOR.tenant, req.id);
    const { login, password } = body ?? {};
    if (
      !checkCsrf(req, this.options.publicBaseUrl, body?.csrf) ||
      typeof login !== 'string' ||
      typeof password !== 'string'
    ) {
      return reply.status(303).header('location', '/demo?error=login').send();
    }
    try {
      const user = await this.rpc.request('identity.password.verify', { tenantId: tenant.id, login, password }, req.id);
      const session = await this.rpc.request(
        'token.session.create',
        { tenantId: tenant.id, user, authMethod: 'password' },
        req.id,
      );
      setSessionCookie(reply, this.options.publicBaseUrl, tenant.slug, session.sessionId, session.expiresIn);
      return reply.status(303).header('location', '/demo').send();
    } catch (err) {
      if (err instanceof HandoverError && err.code !== 'temporarily_unavailable') {
        return reply.status(303).header('location', '/demo?error=login').send();
      }
      throw err;
    }
  }

  @Get('plugin')
  plugin(@Res() reply: FastifyReply) {
    void reply
      .headers({
        ...PAGE_HEADERS,
        'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'`,
        'x-frame-options': 'SAMEORIGIN',
      })
      .send(renderPluginPage(new URL(this.options.publicBaseUrl).origin));
  }

  @Post('plugin/backend/exchange')
  async exchange(
    @Body() body: Record<string, unknown> | undefined,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    if (typeof body?.code !== 'string' || (body.iss !== undefined && typeof body.iss !== 'string')) {
      throw new HandoverError('invalid_request', 'code required');
    }
    let browser = req.cookies?.[VENDOR_COOKIE];
    if (!browser || !/^[A-Za-z0-9_-]{22}$/.test(browser)) {
      browser = this.vendor.newBrowserId();
      void reply.setCookie(VENDOR_COOKIE, browser, { path: '/demo', httpOnly: true, sameSite: 'lax' });
    }
    try {
      return reply
        .status(200)
        .header('cache-control', 'no-store')
        .send(await this.vendor.exchange(browser, body.code, body.iss as string | undefined));
    } catch (err) {
      // The vendor's own failure (an OAuth error answer, say), shown to the demo user as such.
      return reply
        .status(502)
        .header('cache-control', 'no-store')
        .send({ error: 'bad_gateway', error_description: (err as Error).message });
    }
  }

  @Get('plugin/backend/recheck')
  async recheck(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const browser = req.cookies?.[VENDOR_COOKIE];
    const result = browser ? await this.vendor.recheck(browser) : null;
    return reply
      .header('cache-control', 'no-store')
      .send(result ?? { note: 'the vendor holds no token for this browser' });
  }

  /** The demo vendor's webhook endpoint (seeded for the demo tenant): Standard Webhooks, verified over the raw body. */
  @Post('webhooks')
  @RouteConfig(KEEP_RAW_BODY)
  @HttpCode(204)
  receiveWebhook(@Req() req: FastifyRequest): void {
    this.inbox.receive(rawBodyOf(req), req.headers);
  }

  /** What the webhook endpoint received and verified, newest first: the bank page polls it after logout. */
  @Get('webhooks')
  @Header('cache-control', 'no-store')
  webhooks(): { deliveries: ReceivedWebhook[] } {
    return { deliveries: this.inbox.list() };
  }
}
