import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { TENANT_SLUG_PATTERN } from '../tenant-slug.js';
import { OutboundNetworks, type OutboundNetwork } from './get-tenant.js';
import { Scopes, type Scope } from '../token/access-token.js';
import { CLIENT_ID_PATTERN, type LaunchMode } from './principals.js';

/** The longest URL or origin a vendor may register. */
export const MAX_VENDOR_URL_LENGTH = 2048;
/** The most URLs (or origins) of one kind a vendor may register. */
export const MAX_VENDOR_URLS = 20;
export const LaunchModes = ['redirect', 'embed'] as const satisfies readonly LaunchMode[];

/**
 * The rules of one list of vendor URLs or origins (at the HTTP edge and in the bus contract alike): an array of
 * distinct strings, each at most MAX_VENDOR_URL_LENGTH long, at most MAX_VENDOR_URLS of them, and at least one
 * when `required`.
 */
export function VendorUrlList(required: boolean): PropertyDecorator {
  // Listed top to bottom as they would be written above the property; applied bottom-up, as TypeScript does.
  const rules = [
    IsArray(),
    IsString({ each: true }),
    MaxLength(MAX_VENDOR_URL_LENGTH, { each: true }),
    ...(required ? [ArrayMinSize(1)] : []),
    ArrayMaxSize(MAX_VENDOR_URLS),
    ArrayUnique(),
  ];
  return (target, key) => {
    for (const rule of [...rules].reverse()) rule(target, key);
  };
}

/** `user-data.tenant.create`: a new tenant and its first host key. */
export class CreateTenantRequest {
  @IsString()
  @Matches(TENANT_SLUG_PATTERN, { message: 'slug must be a tenant slug' })
  slug!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  /** Default `public`. */
  @IsOptional()
  @IsIn(OutboundNetworks)
  outboundNetwork?: OutboundNetwork;
}

export interface CreatedTenantReply {
  id: string;
  slug: string;
  name: string;
  /** The tenant's host API key, in the clear this once; only its keyed hash is stored. */
  hostKey: string;
}

/** `user-data.vendor.create`: a vendor (confidential OAuth client) of a tenant. */
export class CreateVendorRequest {
  @IsUUID()
  tenantId!: string;

  @IsString()
  @Matches(CLIENT_ID_PATTERN, { message: 'clientId must be letters, digits, ".", "_" or "-" (1-128)' })
  clientId!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @VendorUrlList(true)
  pluginUrls!: string[];

  @VendorUrlList(false)
  redirectUris!: string[];

  @VendorUrlList(true)
  allowedOrigins!: string[];

  /** The vendor's configuration parameters, handed to its plugin with every code. */
  @IsObject()
  config!: Record<string, unknown>;

  @IsArray()
  @IsIn(Scopes, { each: true })
  @ArrayMinSize(1)
  @ArrayUnique()
  scopes!: Scope[];

  @IsBoolean()
  pkceRequired!: boolean;

  @IsIn(LaunchModes)
  launchMode!: LaunchMode;
}

export interface CreatedVendorReply {
  clientId: string;
  /** The client secret, in the clear this once; only its keyed hash is stored. */
  clientSecret: string;
}

/** `user-data.user.create`: a local user of a tenant, with a password or without one. */
export class CreateUserRequest {
  @IsUUID()
  tenantId!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(256)
  login!: string;

  @IsOptional()
  @IsEmail()
  @MaxLength(320)
  email?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  name?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password?: string;
}

export interface CreatedUserReply {
  id: string;
  login: string;
}
