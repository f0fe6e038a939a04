/** `verbatim diff`: what differs between two recorded runs, and where their training first diverges. */
import { resolveRun } from '../runs/store.js';
import { UsageError } from '../errors.js';
import type { Parsed } from './args.js';
import { fitRecordProblems, weightFileProblems, type KeptEpochs } from './integrity.js';
import {
  compareData, configOf, environmentDifferences, fieldDifferences, firstDivergence, layersText, lengthText, loadRun, printable, resultDifferences, valueDifferences, type RunDetails,
} from './inspect.js';
import { weightDifferences } from './snapshots.js';
import { firstDivergentOp } from '../runs/op-trace.js';

/**
 * A run to compare: a corrupt one is an error naming why, never compared as if it were empty;
 * nor one whose weight files are not what its records say (a snapshot or weights.bin changed).
 */
export function readableRun(storeDir: string, query: string): RunDetails {
  const run = loadRun(storeDir, resolveRun(storeDir, query));
  checkReadable(run);
  return run;
}

/** Throws, naming why, when the run is corrupt (keptByResume: a resume keeps these records, whose snapshots must be there). */
export function checkReadable(run: RunDetails, keptByResume?: KeptEpochs): void {
  const problems = run.summary.status === 'corrupt' ? [run.summary.problem!] : [...fitRecordProblems(run), ...weightFileProblems(run, keptByResume)];
  // A JSON parse error quotes the damaged line: its control characters (NULs) are shown, never written raw.
  if (problems.length > 0) throw new Error(`Expected a readable run. Received: ${run.summary.id}, corrupt: ${printable(problems.join('; '))}`);
}

/** The script arguments a run was given (after `--`), as run.json's invocation records them. */
function scriptArguments(run: RunDetails): { args: unknown } {
  return { args: (run.run.invocation as { args?: unknown } | undefined)?.args ?? [] };
}

/** A run's status, with why it did not complete (escaped, as show prints it: an error message may hold any bytes). */
function statusText(run: RunDetails): string {
  return `${run.summary.status}${run.summary.problem ? `: ${printable(run.summary.problem)}` : ''}`;
}

export function commandDiff(parsed: Parsed, storeDir: string, out: (text: string) => void): number {
  if (parsed.positionals.length !== 2) throw new UsageError(`Expected two runs. Received: ${JSON.stringify(parsed.positionals)}`);
  const a = readableRun(storeDir, parsed.positionals[0]!);
  // A run compared with itself is read (and its weight files hashed) once.
  const b = resolveRun(storeDir, parsed.positionals[1]!) === a.summary.id ? a : readableRun(storeDir, parsed.positionals[1]!);
  const divergence = firstDivergence(a, b);
  const result = {
    runs: [a.summary.id, b.summary.id],
    environment: environmentDifferences(a, b),
    arguments: fieldDifferences(scriptArguments(a), scriptArguments(b)),
    status: a.summary.status === b.summary.status && a.summary.problem === b.summary.problem ? [] : [`${statusText(a)} -> ${statusText(b)}`],
    config: fieldDifferences(configOf(a), configOf(b)),
    data: compareData(a, b),
    firstDivergence: divergence ?? null,
    weights: divergence && divergence !== 'length' ? weightDifferences(a, b, divergence.fit, divergence.epoch) : [],
    // Steps are compared where both runs traced them (a run without --trace steps has none to differ).
    firstDivergentStep: (b.steps.length ? a.steps.find((s, i) => s.digest !== b.steps[i]?.digest || s.lossBits !== b.steps[i]?.lossBits) : undefined) ?? null,
    firstDivergentOp: a.ops.length && b.ops.length ? firstDivergentOp(a.ops, b.ops) ?? null : null,
    values: valueDifferences(a, b),
    results: resultDifferences(a, b),
  };
  // identical: every recorded result (digest, metric, value and evaluation bit, prediction digest) agrees.
  const identical = divergence === undefined && result.values.length === 0 && result.results.length === 0 && result.firstDivergentStep === null && result.firstDivergentOp === null;
  // diff(1)'s exit codes: 0 only when nothing is reported as differing (a hand-edited config with every digest agreeing is a difference).
  const otherDifferences = Object.entries({
    environment: result.environment, arguments: result.arguments, status: result.status, config: result.config, 'data content': result.data.content, 'data order': result.data.order,
  }).filter(([, lines]) => lines.length > 0).map(([what]) => what);
  const exitCode = identical && otherDifferences.length === 0 ? 0 : 1;
  if (parsed.flags.has('json')) {
    out(JSON.stringify({ identical, differ: exitCode === 1, ...result }, null, 2));
    return exitCode;
  }
  out(`environment: ${result.environment.length ? `\n  ${result.environment.join('\n  ')}` : 'no differences'}`);
  out(`script arguments: ${result.arguments.length ? `\n  ${result.arguments.join('\n  ')}` : 'no differences'}`);
  out(`status: ${result.status.length ? result.status[0] : `both ${statusText(a)}`}`);
  out(`config: ${result.config.length ? `\n  ${result.config.join('\n  ')}` : 'no differences'}`);
  out(`data content: ${result.data.content.length ? `\n  ${result.data.content.join('\n  ')}` : 'the same examples'}`);
  out(`data order: ${result.data.order.length ? `\n  ${result.data.order.join('\n  ')}` : result.data.content.length ? '(see content)' : 'the same'}`);
  if (result.values.length) out(`custom values that differ:\n  ${result.values.join('\n  ')}`);
  if (result.results.length) out(`results after training that differ:\n  ${result.results.join('\n  ')}`);
  if (identical && otherDifferences.length === 0) out('identical: every recorded digest, metric and value bit agrees');
  else if (identical) out(`every recorded digest, metric and value bit agrees, but the runs differ in: ${otherDifferences.join(', ')} (above)`);
  else if (divergence === undefined && result.values.length === 0 && result.results.length === 0) out('epoch records identical, but not every step (below)');
  else if (divergence === undefined) out('training identical: every recorded digest and metric bit agrees');
  else if (divergence === 'length') out(lengthText(a, b));
  else {
    out(`first divergence: fit ${divergence.fit}, epoch ${divergence.epoch}${divergence.epoch === 0 ? ' (initial weights)' : ''}: ${divergence.what.join(', ')} differ`);
    out(`layers that differ: ${layersText(divergence.layers)}`);
    for (const line of result.weights) out(`  ${line}`);
  }
  if (result.firstDivergentStep) out(`first divergent step: fit ${result.firstDivergentStep.fit}, epoch ${result.firstDivergentStep.epoch}, step ${result.firstDivergentStep.step}`);
  if (result.firstDivergentOp) out(`first divergent op: ${result.firstDivergentOp}`);
  else if (a.ops.length && b.ops.length) out(`ops of the first step: all ${a.ops.length} identical`);
  return exitCode;
}
