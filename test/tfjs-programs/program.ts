/**
 * The contract of the tfjs-examples programs rewritten in this folder: each is written against
 * TF.js's own type declarations, so one source file runs with `@tensorflow/tfjs` and with
 * verbatim (passed in place of `tf`), which is the point of the compatibility test.
 */
import type * as TFJS from '@tensorflow/tfjs';

/** TF.js's namespace, as `import * as tf from '@tensorflow/tfjs'` gives it. */
export type Tf = typeof TFJS;

/**
 * What the test harness gives a program in place of what tfjs-node or a web page would:
 * local files instead of downloads (the original examples fetch their data).
 */
export interface ProgramEnv {
  /** Writes `text` to a temporary file and returns its 'file://' URL (tf.data.csv's source). */
  writeFile(name: string, text: string): string;
  /** Where model.save writes (tfjs-node's 'file://' directory, or an in-memory handler for TF.js in Node). */
  saveUrl(name: string): string | TFJS.io.IOHandler;
  /** Where tf.loadLayersModel reads what saveUrl(name) received. */
  loadUrl(name: string): string | TFJS.io.IOHandler;
}

export interface ProgramResult {
  /** The training loss, in order (per epoch, batch or step): must decrease. */
  losses: number[];
  /** The trained weights, digested to show that a run repeats bit for bit. */
  weights: TFJS.Tensor[];
  /** An accuracy and the chance level it must beat, where the program measures one. */
  accuracy?: { value: number; chance: number };
}

export type Program = (tf: Tf, env: ProgramEnv) => Promise<ProgramResult>;

/** A small linear congruential generator: the programs' synthetic data, the same everywhere. */
export function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/** `count` rows of `width` uniform values in [-1, 1). */
export function uniformRows(random: () => number, count: number, width: number): number[][] {
  return Array.from({ length: count }, () => Array.from({ length: width }, () => random() * 2 - 1));
}

/** The last loss of a History (TF.js and verbatim both keep `history.loss`). */
export function lossesOf(history: { history: Record<string, unknown[]> }): number[] {
  return (history.history.loss as number[]).map(Number);
}

/**
 * `count` synthetic 28x28 grey images of `classes` classes (a bright bar whose place depends
 * on the class, plus noise), flattened, with their labels: MNIST's shapes, no download.
 */
export function syntheticDigits(random: () => number, count: number, classes = 10): { pixels: number[]; labels: number[] } {
  const pixels: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const label = i % classes;
    for (let row = 0; row < 28; row++) {
      for (let col = 0; col < 28; col++) {
        const onBar = Math.floor(row / 3) === label && col > 4 && col < 24;
        pixels.push(onBar ? 0.8 + 0.2 * random() : 0.1 * random());
      }
    }
    labels.push(label);
  }
  return { pixels, labels };
}

/** TF.js's Tensor type, for the programs' own helper functions. */
export type Tensor = TFJS.Tensor;
/** variableGrads' result as applyGradients takes it (TF.js types them apart; they are the same map). */
export type TFJSVariableMap = Parameters<ReturnType<Tf["train"]["adam"]>["applyGradients"]>[0];
