export { log, record, RunRecorder, type RecordOptions } from './recorder.js';
export { readValues, finalValues, type ValueRecord } from './values.js';
export { listRuns, defaultStore, type RunSummary, type RunStatus } from './store.js';
export { summarize, tQuantile975, type Summary } from './statistics.js';
export { environment, type Environment } from './environment.js';
