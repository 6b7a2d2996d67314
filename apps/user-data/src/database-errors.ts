/** PostgreSQL's SQLSTATE of a failed query (TypeORM's `QueryFailedError` copies the driver's `code`), if any. */
function sqlState(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, driverError } = err as { code?: unknown; driverError?: { code?: unknown } };
  if (typeof code === 'string') return code;
  return typeof driverError?.code === 'string' ? driverError.code : undefined;
}

/** A UNIQUE constraint refused the row (`23505`): the thing already exists. */
export function isUniqueViolation(err: unknown): boolean {
  return sqlState(err) === '23505';
}

/** A FOREIGN KEY constraint refused the row (`23503`): what it belongs to does not exist (any more). */
export function isForeignKeyViolation(err: unknown): boolean {
  return sqlState(err) === '23503';
}
