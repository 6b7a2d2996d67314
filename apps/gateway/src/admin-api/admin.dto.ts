import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';
import {
  CLIENT_ID_PATTERN,
  LaunchModes,
  OutboundNetworks,
  Scopes,
  TENANT_SLUG_PATTERN,
  VendorUrlList,
  type LaunchMode,
  type OutboundNetwork,
  type Scope,
} from '#contracts';

/** `POST /admin/tenants`. */
export class CreateTenantBody {
  @ApiProperty({
    description: 'The tenant slug, as in `/t/{tenant}`.',
    example: 'acme-bank',
    pattern: TENANT_SLUG_PATTERN.source,
  })
  @IsString()
  @Matches(TENANT_SLUG_PATTERN, { message: 'slug must be lower-case letters, digits and single hyphens (1-63)' })
  slug!: string;

  @ApiProperty({ description: 'Display name.', example: 'Acme Bank', maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({
    enum: OutboundNetworks,
    default: 'public',
    description:
      "Which addresses the tenant's outbound calls (webhooks, custom identity providers) may reach: `public` " +
      'refuses loopback, private, link-local and metadata addresses; `loopback` also allows 127.0.0.0/8 and ::1; ' +
      '`private` also allows RFC 1918 and ULA networks. Link-local and metadata addresses are never allowed.',
  })
  // Absent means the default; `null` is refused, not read as absent.
  @ValidateIf((_body: object, value: unknown) => value !== undefined)
  @IsIn(OutboundNetworks)
  outbound_network?: OutboundNetwork;
}

export class CreatedTenant {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'acme-bank' })
  slug!: string;

  @ApiProperty({ example: 'Acme Bank' })
  name!: string;

  @ApiProperty({
    description: "The tenant's OAuth issuer (and URL prefix).",
    example: 'https://sso.example/t/acme-bank',
  })
  issuer!: string;

  @ApiProperty({ description: "The tenant's host API key: shown this once, stored only as a keyed hash." })
  host_key!: string;
}

/** `POST /admin/tenants/{tenant}/vendors`. */
export class CreateVendorBody {
  @ApiProperty({ description: 'The OAuth client_id, unique in the tenant.', pattern: CLIENT_ID_PATTERN.source })
  @IsString()
  @Matches(CLIENT_ID_PATTERN, { message: 'client_id must be letters, digits, ".", "_" or "-" (1-128)' })
  client_id!: string;

  @ApiProperty({ maxLength: 200, example: 'Budget Planner' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiProperty({
    description: 'Plugin URLs (at least one): absolute https (http on loopback only), no fragment or credentials.',
    type: [String],
    example: ['https://planner.example/plugin'],
  })
  @VendorUrlList(true)
  plugin_urls!: string[];

  @ApiPropertyOptional({ description: 'Registered redirect URIs (same rules).', type: [String], default: [] })
  @IsOptional()
  @VendorUrlList(false)
  redirect_uris?: string[];

  @ApiProperty({
    description: "Origins exactly as `scheme://host[:port]`; every plugin URL's origin must be among them.",
    type: [String],
    example: ['https://planner.example'],
  })
  @VendorUrlList(true)
  allowed_origins!: string[];

  @ApiPropertyOptional({ description: 'Configuration parameters handed to the plugin with each code.', default: {} })
  @IsOptional()
  @IsObject()
  config?: Record<string, unknown>;

  @ApiProperty({ enum: Scopes, isArray: true, example: ['profile', 'accounts'] })
  @IsArray()
  @IsIn(Scopes, { each: true })
  @ArrayMinSize(1)
  @ArrayUnique()
  scopes!: Scope[];

  @ApiPropertyOptional({ description: 'Require PKCE (S256) on every code.', default: false })
  @IsOptional()
  @IsBoolean()
  pkce_required?: boolean;

  @ApiPropertyOptional({ enum: LaunchModes, default: 'redirect' })
  @IsOptional()
  @IsIn(LaunchModes)
  launch_mode?: LaunchMode;
}

export class CreatedVendor {
  @ApiProperty()
  client_id!: string;

  @ApiProperty({ description: 'The client secret: shown this once, stored only as a keyed hash.' })
  client_secret!: string;
}

/** `POST /admin/tenants/{tenant}/users`. */
export class CreateUserBody {
  @ApiProperty({ description: 'The login, unique in the tenant.', maxLength: 256 })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  login!: string;

  @ApiPropertyOptional({ maxLength: 320 })
  @IsOptional()
  @IsEmail()
  @MaxLength(320)
  email?: string;

  @ApiPropertyOptional({ maxLength: 256 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  name?: string;

  @ApiPropertyOptional({ description: 'A local password (stored as an scrypt hash); none by default.' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password?: string;
}

export class CreatedUser {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  login!: string;
}
