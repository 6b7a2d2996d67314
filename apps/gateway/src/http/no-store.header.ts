import { applyDecorators, Header } from '@nestjs/common';

/**
 * `Cache-Control: no-store` and `Pragma: no-cache` on a route that hands out or inspects credentials (RFC 6749
 * §5.1). Nest sets a route's headers before its handler runs, so the handler's errors carry them too, like
 * `NoStoreInterceptor` but without an interceptor's observable chain on every request of a hot route.
 */
export const NoStore = () => applyDecorators(Header('cache-control', 'no-store'), Header('pragma', 'no-cache'));
