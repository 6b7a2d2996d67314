import { Controller, Get, Header, Param } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HandoverError } from '#contracts';
import { DEMO_SCRIPTS } from '../demo/demo.scripts.js';
import { LAUNCH_HOST_SCRIPT } from './launch.page.js';

const SCRIPTS: Record<string, string> = { 'launch-host.js': LAUNCH_HOST_SCRIPT, ...DEMO_SCRIPTS };

/** The hosted pages' scripts, served as files so every page's CSP can forbid inline script. */
@ApiExcludeController()
@Controller('assets')
export class AssetsController {
  @Get(':name')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'public, max-age=300')
  @Header('x-content-type-options', 'nosniff')
  script(@Param('name') name: string): string {
    const script = Object.hasOwn(SCRIPTS, name) ? SCRIPTS[name] : undefined;
    if (script === undefined) throw new HandoverError('not_found', 'no such asset');
    return script;
  }
}
