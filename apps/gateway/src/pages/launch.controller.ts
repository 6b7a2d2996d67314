import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HandoverError, type IssueCodeReply, type TenantReply, type VendorRecord } from '#contracts';
import { RpcClient } from '#messaging';
import { GatewayOptions } from '../gateway.options.js';
import { TenantDirectory } from '../tenants/tenant-directory.service.js';
import { VendorDirectory } from '../vendors/vendor-directory.js';
import { renderErrorPage } from './error.page.js';
import { PAGE_HEADERS } from './html.js';
import { readSessionId } from './hub-session.js';
import { renderLaunchPage } from './launch.page.js';

const LAUNCH_PARAMS = ['state', 'code_challenge', 'code_challenge_method', 'redirect_uri', 'scope'] as const;
type LaunchParams = Partial<Record<(typeof LAUNCH_PARAMS)[number], string>>;

/**
 * `GET /t/{tenant}/plugins/{vendor}/launch`: opens a vendor's plugin for the user of the hub session cookie.
 * The checks, in order: tenant, session cookie, vendor, parameters (single strings), code issue (registered
 * URI, PKCE); then either a 303 to the registered plugin/redirect URI with `code`, `state` and `iss`
 * (RFC 9207), or a host page that frames the plugin and posts it the code. Any failure is an error page;
 * nothing ever redirects a code to an unregistered place.
 */
@ApiExcludeController()
@Controller('t/:tenant/plugins/:vendor')
export class LaunchController {
  constructor(
    @Inject(TenantDirectory) private readonly tenants: TenantDirectory,
    @Inject(VendorDirectory) private readonly vendors: VendorDirectory,
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(GatewayOptions) private readonly options: GatewayOptions,
  ) {}

  @Get('launch')
  async launch(
    @Param('tenant') slug: string,
    @Param('vendor') clientId: string,
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    try {
      const tenant = await this.tenants.resolve(slug, request.id);
      const sessionId = readSessionId(request, tenant.slug);
      if (!sessionId) return page(reply, 401, 'Not signed in', 'Sign in to the platform before opening a plugin.');
      const vendor = await this.vendors.get(tenant.id, clientId, request.id);
      const params = launchParams(query);
      const issued = await this.rpc.request(
        'token.code.issue',
        {
          tenantId: tenant.id,
          sessionId,
          clientId: vendor.clientId,
          redirectUri: params.redirect_uri,
          codeChallenge: params.code_challenge,
          codeChallengeMethod: params.code_challenge_method as 'S256' | undefined,
          scope: params.scope,
        },
        request.id,
      );
      this.deliver(reply, tenant, vendor, issued, params.state);
    } catch (err) {
      if (!(err instanceof HandoverError) || err.code === 'temporarily_unavailable') throw err;
      if (err.code === 'not_found')
        return page(reply, 404, 'Not found', 'There is no such plugin, or your session has ended.');
      return page(reply, 400, 'This plugin cannot be opened', err.description);
    }
  }

  private deliver(
    reply: FastifyReply,
    tenant: TenantReply,
    vendor: VendorRecord,
    issued: IssueCodeReply,
    state?: string,
  ): void {
    const issuer = this.options.issuer(tenant.slug);
    const target = new URL(issued.redirectUri);
    if (vendor.launchMode === 'redirect') {
      target.searchParams.set('code', issued.code);
      if (state !== undefined) target.searchParams.set('state', state);
      target.searchParams.set('iss', issuer);
      void reply
        .status(303)
        .headers({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' })
        .header('location', target.toString())
        .send();
      return;
    }
    if (!vendor.allowedOrigins.includes(target.origin)) {
      return page(reply, 400, 'This plugin cannot be opened', "the plugin's origin is not registered for this vendor");
    }
    void reply
      .status(200)
      .headers({
        ...PAGE_HEADERS,
        'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; frame-src ${target.origin}; frame-ancestors 'self'; form-action 'self'; base-uri 'none'`,
        'x-frame-options': 'SAMEORIGIN',
        // This page holds a code: it must not leak through a Referer.
        'referrer-policy': 'no-referrer',
      })
      .send(
        renderLaunchPage({
          tenantName: tenant.name,
          vendorName: vendor.name,
          pluginUrl: issued.redirectUri,
          vendorOrigin: target.origin,
          code: issued.code,
          state,
          issuer,
          config: issued.config,
        }),
      );
  }
}

function launchParams(query: Record<string, unknown>): LaunchParams {
  const params: LaunchParams = {};
  for (const name of LAUNCH_PARAMS) {
    const value = query[name];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > 2048) {
      throw new HandoverError('invalid_request', `${name} must be given once, as text`);
    }
    params[name] = value;
  }
  return params;
}

function page(reply: FastifyReply, status: number, title: string, message: string): void {
  void reply.status(status).headers(PAGE_HEADERS).send(renderErrorPage(title, message));
}
