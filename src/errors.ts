/**
 * Errors in the Keras style: what was expected, then what was received, so that a message
 * names the op, the argument and both values ("Expected X. Received: arg=value").
 */
export class ValueError extends Error {
  override name = 'ValueError';
}

/**
 * Bad usage or input from the person at the command line (an option, a run id, a script or store
 * named): the CLI exits 2 for it, whatever the message says; other errors (a check that failed, a
 * corrupt run, a run that failed) exit 1.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Thrown when op determinism is enabled and something would make a run unreproducible. */
export class DeterminismError extends Error {
  override name = 'DeterminismError';
}

export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object' && 'shape' in value && 'dtype' in value) {
    const t = value as { shape: readonly number[]; dtype: string };
    return `Tensor(shape=${formatValue(t.shape)}, dtype=${t.dtype})`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** `${context}: ${expectation}. Received: name=value, ...` */
export function invalid(context: string, expectation: string, received: Record<string, unknown>): ValueError {
  const parts = Object.entries(received).map(([name, value]) => `${name}=${formatValue(value)}`);
  return new ValueError(`${context}: ${expectation}. Received: ${parts.join(', ')}`);
}

/**
 * Refuses the options a factory does not have (a misspelling, another library's option): dropped
 * silently, they would leave its default in force. `ignored` spares options that mean nothing.
 */
export function refuseUnknownOptions(
  context: string, options: object | undefined, known: readonly string[], ignored: (name: string, value: unknown) => boolean = () => false,
): void {
  const unknown = Object.entries(options ?? {}).filter(([name, value]) => !known.includes(name) && !ignored(name, value));
  if (unknown.length > 0) throw invalid(context, known.length > 0 ? `Expected options among ${known.join(', ')}` : 'Expected no options', Object.fromEntries(unknown));
}
