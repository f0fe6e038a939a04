/**
 * verbatim doctor's in-process driver: runs a script twice in this process, each pass recorded
 * into its own run directory, with verbatim's own process state (model names, unnamed streams)
 * reset in between, and Math.random calls during the passes counted per call site.
 * Usage: node doctor-driver.js <trace> <dir1> <dir2> <mathRandomLog> <script> [args...]
 */
import { pathToFileURL } from 'node:url';
import { resetDatasetSeeds } from '../data/dataset.js';
import { ENGINE } from '../engine/engine.js';
import { resetLayerNames } from '../layers/layer.js';
import { resetModelNames } from '../models/model-names.js';
import { resetUnnamedStream } from '../random/seed.js';
import { RunRecorder } from '../runs/recorder.js';
import { writeJson } from '../runs/store.js';
import { callSite } from './doctor-probe.js';

const [trace, dir1, dir2, randomLog, script, ...args] = process.argv.slice(2) as ['steps' | 'ops', string, string, string, string, ...string[]];
// Started by doctor with an IPC channel: when doctor is gone (even by SIGKILL) the passes stop too.
process.channel?.unref();
process.on('disconnect', () => process.exit(129));

const sites = new Map<string, number>();
const original = Math.random;
Math.random = function recordedMathRandom(): number {
  const site = callSite(new Error().stack ?? '');
  sites.set(site, (sites.get(site) ?? 0) + 1);
  return original();
};

// The pass the script ended the process in (process.exit) says so, rather than looking killed.
let current: { pass: number; recorder: RunRecorder } | undefined;
process.on('exit', (code) => current?.recorder.finish('failed', new Error(`the script ended the process (exit code ${code}) in in-process pass ${current.pass}`)));

process.argv = [process.argv[0]!, script, ...args];
for (const [pass, dir] of [[1, dir1], [2, dir2]] as const) {
  // The first pass's models are garbage now; their variable names must be free again.
  for (const variable of [...ENGINE.variables.values()]) variable.dispose();
  resetModelNames();
  resetLayerNames();
  resetDatasetSeeds();
  resetUnnamedStream();
  const recorder = new RunRecorder({ name: `doctor pass ${pass}`, trace }, dir).start();
  current = { pass, recorder };
  try {
    await import(`${pathToFileURL(script).href}?doctor-pass=${pass}`);
    const open = recorder.openFit;
    if (open !== undefined) {
      current = undefined;
      recorder.finish('failed', new Error(`the script's module finished loading while fit ${open} was still training: the in-process passes need its training awaited (await main() at top level)`));
      // That training goes on in this process: it would mix into a second pass.
      process.exit(3);
    }
    current = undefined;
    recorder.finish('completed');
  } catch (error) {
    current = undefined;
    recorder.finish('failed', error);
  }
}
Math.random = original;
writeJson(randomLog, [...sites].map(([site, count]) => ({ site, count })));
