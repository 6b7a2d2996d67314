import { Controller, Get, Headers as RequestHeaders, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { GatewayOptions } from '../gateway.options.js';
import { PAGE_HEADERS } from './html.js';
import { renderHomePage } from './home.page.js';

@ApiExcludeController()
@Controller()
export class HomeController {
  constructor(@Inject(GatewayOptions) private readonly options: GatewayOptions) {}

  @Get()
  home(@Res() reply: FastifyReply, @RequestHeaders('accept') _accept?: string): void {
    void reply
      .headers(PAGE_HEADERS)
      .send(renderHomePage({ baseUrl: this.options.publicBaseUrl, mode: this.options.mode, demo: this.options.demo }));
  }

  /** Browsers ask for it on every page; an empty answer spares them (and their consoles) a 404. */
  @Get('favicon.ico')
  favicon(@Res() reply: FastifyReply): void {
    void reply.status(204).header('cache-control', 'public, max-age=86400').send();
  }
}
