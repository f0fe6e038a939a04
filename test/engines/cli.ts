/**
 * The runner for Node, Deno and Bun: `node|deno run|bun dist/test/engines/cli.js <engine>` prints
 * one line of JSON (an EngineReport). It imports the built package through a relative path, so
 * Deno needs no import map for the bare specifier.
 */
import * as vb from '../../src/index.js';
import { runEngine } from './runner.js';
import { goldenDigests } from '../golden/workload.js';

const engine = (globalThis as { process?: { argv: string[] } }).process?.argv[2] ?? 'unknown';
console.log(JSON.stringify(await runEngine(vb, engine, goldenDigests)));
