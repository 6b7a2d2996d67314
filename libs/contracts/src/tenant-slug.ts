/** A tenant slug as it appears in `/t/{tenant}`: lower-case letters, digits and single hyphens, 1–63 characters. */
export const TENANT_SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
