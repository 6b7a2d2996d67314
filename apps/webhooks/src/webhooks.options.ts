/** Deployment facts the dispatcher needs beyond its policy. */
export class WebhooksOptions {
  constructor(
    /** The gateway's public base URL; a tenant's issuer (of back-channel logout tokens) is `<base>/t/{slug}`. */
    readonly publicBaseUrl: string,
  ) {}

  issuerOf(tenantSlug: string): string {
    return `${this.publicBaseUrl.replace(/\/+$/, '')}/t/${tenantSlug}`;
  }
}
