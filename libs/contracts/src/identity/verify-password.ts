import { IsString, IsUUID, MaxLength, MinLength } from 'class-validator';

export class VerifyPasswordRequest {
  @IsUUID()
  tenantId!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(256)
  login!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password!: string;
}
