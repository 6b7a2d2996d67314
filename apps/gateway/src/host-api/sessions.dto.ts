import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { CLIENT_ID_PATTERN } from '#contracts';

/**
 * `POST /t/{tenant}/api/sessions`: either `{user}` (the host has authenticated the user itself) or
 * `{login, password, email?}` (authenticate through the tenant's identity sources); exactly one of the two.
 */
export class CreateSessionBody {
  @ApiPropertyOptional({ description: 'Login or id of a user the host has already authenticated.', maxLength: 256 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  user?: string;

  @ApiPropertyOptional({ description: 'Login to authenticate (with `password`).', maxLength: 256 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  login?: string;

  @ApiPropertyOptional({ description: 'Password to authenticate (with `login`).', maxLength: 1024 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password?: string;

  @ApiPropertyOptional({ description: 'E-mail, for identity sources that want it (with `login`).', maxLength: 320 })
  @IsOptional()
  @IsString()
  @MaxLength(320)
  email?: string;
}

export class CreatedSession {
  @ApiProperty({ description: 'The session id (256-bit, base64url).' })
  session_id!: string;

  @ApiProperty({ example: { id: '7d5c…', login: 'demo' } })
  user!: { id: string; login: string };

  @ApiProperty({ description: 'Seconds until the session expires.' })
  expires_in!: number;
}

/** `POST /t/{tenant}/api/sessions/{sid}/codes`. */
export class IssueCodeBody {
  @ApiProperty({ description: "The vendor's client_id.", example: 'demo-vendor' })
  @IsString()
  @Matches(CLIENT_ID_PATTERN, { message: 'vendor must be a registered client_id' })
  vendor!: string;

  @ApiPropertyOptional({
    description: "A registered redirect URI; without it the code is bound to the vendor's plugin URL.",
    maxLength: 2048,
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  redirect_uri?: string;

  @ApiPropertyOptional({ description: 'PKCE challenge (RFC 7636), base64url SHA-256 of the verifier.', maxLength: 128 })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  code_challenge?: string;

  @ApiPropertyOptional({ enum: ['S256'], description: 'Only S256 is accepted.' })
  @IsOptional()
  @IsIn(['S256', 'plain'])
  code_challenge_method?: 'S256' | 'plain';

  @ApiPropertyOptional({ description: "Space-separated subset of the vendor's scopes (all of them by default)." })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  scope?: string;
}

export class IssuedCode {
  @ApiProperty({ description: 'The one-time code: 30 s, single use.' })
  code!: string;

  @ApiProperty({ example: 30 })
  expires_in!: number;

  @ApiProperty({ description: "The vendor's configuration parameters, for the plugin." })
  config!: Record<string, unknown>;
}
