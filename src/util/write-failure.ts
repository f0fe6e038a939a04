/** A write failure with the file named, and a full disk said in words (for a run's records and for backups alike). */
export function writeFailure(file: string, error: unknown): Error {
  const code = (error as { code?: string }).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new Error(`the disk is full (${code}) while writing ${file}: free some space and run again`, { cause: error });
  return error instanceof Error ? error : new Error(String(error));
}
