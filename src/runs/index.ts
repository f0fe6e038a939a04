import { noteSettingRead } from '../engine/setting-reads.js';
import { environment as environmentFacts, type Environment } from './environment.js';

export { log, record, RunRecorder, type RecordOptions } from './recorder.js';
export { readValues, finalValues, type ValueRecord } from './values.js';
export { listRuns, defaultStore, type RunSummary, type RunStatus } from './store.js';
export { summarize, tQuantile975, type Summary } from './statistics.js';
export { type Environment } from './environment.js';

/**
 * The environment a run records (src/runs/environment.ts), for the script. Its backend and
 * threads are reads of those settings, which `verbatim doctor` notes (the recorder's own calls are not).
 */
export function environment(options: { git?: boolean } = {}): Environment {
  noteSettingRead('runs.environment', ['backend', 'threads'], environment);
  return environmentFacts(options);
}
