import { IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';

/** A user as other apps see them: stable id, login, and profile facts for `/me`. */
export interface UserProfile {
  id: string;
  login: string;
  email: string | null;
  name: string | null;
}

export class VerifyApiKeyRequest {
  /** The raw key presented as `Authorization: Bearer <key>`; only its keyed hash is compared. */
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  key!: string;
}

export interface ApiKeyReply {
  kind: 'host' | 'admin';
  /** The tenant a host key belongs to; `null` for an admin key. */
  tenantId: string | null;
  label: string;
}

export class ResolveUserRequest {
  @IsUUID()
  tenantId!: string;

  /** A login, or a user id, that the host has already authenticated. */
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  user!: string;
}

export class GetUserCredentialsRequest {
  @IsUUID()
  tenantId!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(256)
  login!: string;
}

export interface UserCredentialsReply {
  user: UserProfile;
  /** `null` when the user has no local password (created by another identity source). */
  passwordHash: string | null;
}

/** Client ids as registered: letters, digits, `-`, `_`, `.`; 1–128 characters. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export class GetVendorRequest {
  @IsUUID()
  tenantId!: string;

  @IsString()
  @Matches(CLIENT_ID_PATTERN)
  clientId!: string;
}

export type LaunchMode = 'redirect' | 'embed';

/** A vendor (confidential OAuth client) as the token app and the gateway need it. */
export interface VendorRecord {
  id: string;
  tenantId: string;
  clientId: string;
  name: string;
  /** Keyed hash of the client secret (never the secret). */
  secretHash: string;
  pluginUrls: string[];
  redirectUris: string[];
  allowedOrigins: string[];
  config: Record<string, unknown>;
  scopes: string[];
  pkceRequired: boolean;
  launchMode: LaunchMode;
}

export class ListAccountsRequest {
  @IsUUID()
  tenantId!: string;

  @IsUUID()
  userId!: string;
}

export interface Account {
  id: string;
  name: string;
  iban: string;
  currency: string;
  /** In minor units (cents), as a string: balances can exceed 2^53. */
  balance_minor: string;
}

export interface AccountsReply {
  accounts: Account[];
}

export const MAX_PAGE_SIZE = 100;

export class ListTransactionsRequest {
  @IsUUID()
  tenantId!: string;

  @IsUUID()
  userId!: string;

  @IsUUID()
  accountId!: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit!: number;
}

export interface Transaction {
  id: string;
  booked_at: string;
  amount_minor: string;
  currency: string;
  description: string;
}

export interface TransactionsReply {
  transactions: Transaction[];
  next_cursor: string | null;
}
