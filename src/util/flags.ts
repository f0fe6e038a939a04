/**
 * TF.js's environment flags (tf.env(), tf.ENV): programs set backend options such as
 * `tf.ENV.set('WEBGL_PACK', false)` or read `IS_BROWSER`. verbatim keeps every flag a program sets
 * and reads it back, but no flag changes a number: there is one arithmetic on every backend. The
 * platform flags are answered from where the code runs.
 */
import { invalid } from '../errors.js';

export type FlagValue = boolean | number | string;

const g = globalThis as { window?: unknown; document?: unknown; process?: { versions?: { node?: string } } };

export class Environment {
  private flags = new Map<string, FlagValue>();

  /** Platform facts, computed when first read. */
  private readonly defaults: Record<string, () => FlagValue> = {
    IS_BROWSER: () => typeof g.window !== 'undefined' && typeof g.document !== 'undefined',
    IS_NODE: () => typeof g.process?.versions?.node === 'string',
    DEBUG: () => false,
    PROD: () => false,
    IS_TEST: () => false,
  };

  get(name: string): FlagValue {
    if (typeof name !== 'string') throw invalid('env().get', 'Expected a flag name', { name });
    const value = this.flags.get(name) ?? this.defaults[name]?.();
    if (value === undefined) throw invalid('env().get', 'Expected a flag that is set or known (IS_BROWSER, IS_NODE, DEBUG, PROD, IS_TEST)', { name });
    return value;
  }

  getBool(name: string): boolean {
    return this.get(name) as boolean;
  }

  getNumber(name: string): number {
    return this.get(name) as number;
  }

  set(name: string, value: FlagValue): void {
    if (typeof name !== 'string' || name === '') throw invalid('env().set', 'Expected a flag name', { name });
    if (!['boolean', 'number', 'string'].includes(typeof value)) throw invalid('env().set', 'Expected a boolean, number or string value', { [name]: value });
    this.flags.set(name, value);
  }

  setFlags(flags: Record<string, FlagValue>): void {
    for (const [name, value] of Object.entries(flags)) this.set(name, value);
  }

  /** The flags a program set, then the platform facts. */
  getFlags(): Record<string, FlagValue> {
    return { ...Object.fromEntries(Object.keys(this.defaults).map((k) => [k, this.get(k)])), ...Object.fromEntries(this.flags) };
  }

  get features(): Record<string, FlagValue> {
    return this.getFlags();
  }

  reset(): void {
    this.flags = new Map();
  }
}

/** The process's flags: `vb.ENV`, also returned by `vb.env()`. */
export const ENV = new Environment();

export function env(): Environment {
  return ENV;
}
