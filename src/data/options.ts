/** Checks of the option objects vb.data's functions take: TF.js users' misspelt or foreign options are errors, not ignored. */
import { invalid } from '../errors.js';

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Every key of value is among allowed; `name` is what the message calls a key ('option', 'columnConfigs.price key'). */
export function checkKeys(context: string, value: Record<string, unknown>, allowed: readonly string[], name: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw invalid(context, `Expected ${name} among ${allowed.join(', ')}`, { [name]: key });
  }
}

/** An options object (or undefined) with only the allowed keys, the boolean ones boolean if given. */
export function checkOptions<T extends object>(context: string, options: unknown, allowed: readonly string[], booleans: readonly string[] = []): T {
  if (options === undefined) return {} as T;
  if (!isRecord(options)) throw invalid(context, `Expected options to be an object (${allowed.join(', ')})`, { options });
  checkKeys(context, options, allowed, 'option');
  for (const name of booleans) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean') throw invalid(context, `Expected ${name} to be a boolean`, { [name]: options[name] });
  }
  return options as T;
}
