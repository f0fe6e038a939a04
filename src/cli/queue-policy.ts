/**
 * The run queue's bounds, in a module of their own so that the CLI's help can state them without
 * loading BullMQ and ioredis (which every other command would then pay for at start).
 */

/** Attempts per job for errors that are neither the script's nor a vanished worker's (the worker stopped by a signal, an unwritable store). */
export const ATTEMPTS = 3;
/** Times a job is handed to another worker after its worker vanished (SIGKILL, a lost machine), before it fails. */
export const MAX_STALLED = 2;
/** How long a connection to Redis may take before it is an error. */
export const CONNECT_TIMEOUT_MS = 5000;
/** Jobs one worker runs at once (--concurrency): each is a process training a model, so more is a typo, not a plan. */
export const MAX_CONCURRENCY = 256;
