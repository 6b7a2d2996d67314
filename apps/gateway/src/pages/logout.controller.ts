import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RpcClient } from '#messaging';
import { GatewayOptions } from '../gateway.options.js';
import { TenantDirectory } from '../tenants/tenant-directory.service.js';
import { renderErrorPage } from './error.page.js';
import { PAGE_HEADERS } from './html.js';
import { checkCsrf, clearSessionCookie, issueCsrfToken, readSessionId } from './hub-session.js';
import { renderLoggedOutPage, renderLogoutPage } from './logout.page.js';

/**
 * Hosted logout. `GET` only asks (an `<img src=/logout>` must not log anyone out); `POST` needs the CSRF token
 * of the form and a same-origin request, ends the session (every token of it dies at once, `session.logged_out`
 * is published) and clears the cookie. `continue` may only be a path on this site: no open redirect.
 */
@ApiExcludeController()
@Controller('t/:tenant/logout')
export class LogoutController {
  constructor(
    @Inject(TenantDirectory) private readonly tenants: TenantDirectory,
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(GatewayOptions) private readonly options: GatewayOptions,
  ) {}

  @Get()
  async confirm(
    @Param('tenant') slug: string,
    @Query('continue') continueTo: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const tenant = await this.tenants.resolve(slug, request.id);
    const csrf = issueCsrfToken(request, reply, this.options.publicBaseUrl);
    void reply
      .headers(PAGE_HEADERS)
      .send(renderLogoutPage(tenant.name, `/t/${tenant.slug}/logout`, csrf, localPath(continueTo) ?? ''));
  }

  @Post()
  async logout(
    @Param('tenant') slug: string,
    @Body() body: Record<string, unknown> | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const tenant = await this.tenants.resolve(slug, request.id);
    if (!checkCsrf(request, this.options.publicBaseUrl, body?.csrf)) {
      void reply
        .status(403)
        .headers(PAGE_HEADERS)
        .send(renderErrorPage('Request refused', 'This logout request did not come from the logout page.'));
      return;
    }
    const sessionId = readSessionId(request, tenant.slug);
    if (sessionId) {
      await this.rpc.request(
        'token.session.end',
        { tenantId: tenant.id, sessionId, reason: 'user_logout' },
        request.id,
      );
    }
    clearSessionCookie(reply, this.options.publicBaseUrl, tenant.slug);
    const next = localPath(body?.continue);
    if (next) {
      void reply.status(303).headers({ 'cache-control': 'no-store' }).header('location', next).send();
      return;
    }
    // 200 (a page), not the 201 Nest gives a POST by default.
    void reply.status(200).headers(PAGE_HEADERS).send(renderLoggedOutPage(tenant.name));
  }
}

/** Only a path on this site ("/x"), never "//host", "/\\host" or a scheme. */
function localPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 512) return undefined;
  return /^\/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/.test(value) ? value : undefined;
}
