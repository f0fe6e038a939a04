/**
 * Bidirectional (Keras 3): the given recurrent layer reads the sequence forwards and a copy of it
 * (same config, goBackwards flipped) reads it backwards; their outputs are merged. The sublayers
 * are named forward_<name> and backward_<name>, so their weights are
 * `<model>/<bidirectional>/forward_lstm/kernel`, ...: forward weights first, then backward, as in
 * Keras and TF.js. Initial states (apply([x, ...states]) or apply(x, {initialState})) are the
 * forward layer's, then the backward layer's, as Keras and TF.js split them.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import type { Tensor, Variable } from '../tensor/tensor.js';
import { Layer, snakeCase, type CallContext, type LayerArgs, type SymbolicShape } from './layer.js';
import { RNN, recurrentFromConfig, sequenceShape } from './recurrent.js';

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';

export interface BidirectionalArgs extends LayerArgs {
  /** A recurrent layer not yet used, or {className, config} as getConfig() gives it. */
  layer: RNN | { className: string; config: Record<string, unknown> };
  /** How the two directions' outputs combine; null returns both ([forward, backward], applyOutputs only). Default 'concat'. */
  mergeMode?: MergeMode | null;
}

const MERGE: Record<MergeMode, (a: Tensor, b: Tensor) => Tensor> = {
  concat: (a, b) => ops.concat([a, b], -1),
  sum: (a, b) => ops.add(a, b),
  mul: (a, b) => ops.mul(a, b),
  ave: (a, b) => ops.div(ops.add(a, b), 2),
};

export class Bidirectional extends Layer {
  override supportsMasking = true;
  readonly forwardLayer: RNN;
  readonly backwardLayer: RNN;
  readonly mergeMode: MergeMode | null;
  private readonly innerName: string;

  constructor(args: BidirectionalArgs) {
    const given = args.layer;
    // TF.js code often declares the input shape on the wrapped layer.
    const innerShape = given instanceof RNN && args.inputShape === undefined && args.inputDim === undefined ? given.declaredInputShape : undefined;
    super('Bidirectional', innerShape ? { ...args, inputShape: innerShape } : args);
    if (given instanceof RNN) {
      if (given.path || given.built) throw invalid('Bidirectional', 'Expected a recurrent layer that is not already built or in a model', { layer: given.name });
      this.forwardLayer = given;
    } else if (given && typeof given === 'object' && typeof given.className === 'string' && given.config && typeof given.config === 'object') {
      this.forwardLayer = recurrentFromConfig(given.className, given.config, 'Bidirectional');
    } else {
      throw invalid('Bidirectional', 'Expected layer to be a recurrent layer (simpleRNN, lstm, gru, rnn) or its {className, config}', { layer: given });
    }
    const mergeMode = args.mergeMode === undefined ? 'concat' : args.mergeMode;
    if (mergeMode !== null && !(mergeMode in MERGE)) {
      throw invalid('Bidirectional', `Expected mergeMode to be one of ${Object.keys(MERGE).join(', ')} or null`, { mergeMode });
    }
    this.mergeMode = mergeMode;
    const config = this.forwardLayer.getConfig();
    this.backwardLayer = recurrentFromConfig(this.forwardLayer.className, { ...config, trainable: this.forwardLayer.trainable, goBackwards: !config.goBackwards }, 'Bidirectional');
    this.innerName = this.forwardLayer.name ?? snakeCase(this.forwardLayer.className);
    // Keras: when returning sequences, each direction outputs zeros at masked steps.
    this.forwardLayer.zeroOutputForMask = this.backwardLayer.zeroOutputForMask = this.forwardLayer.returnSequences;
    this.takesInitialState = true;
    this.takesInputList = true;
  }

  override build(shapes: SymbolicShape | SymbolicShape[]): void {
    const inputShape = sequenceShape(shapes);
    for (const [layer, direction] of [[this.forwardLayer, 'forward'], [this.backwardLayer, 'backward']] as const) {
      layer.name = `${direction}_${this.innerName}`;
      layer.path = `${this.path}/${layer.name}`;
      layer.build(inputShape);
      this.weights.push(...layer.weights);
    }
    this.built = true;
  }

  /** The merged output's shape, or with mergeMode null or returnState every output's (see callOutputs). */
  computeOutputShape(inputShapes: SymbolicShape | SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    const shapes = this.forwardLayer.computeOutputShape(sequenceShape(inputShapes));
    const [shape, ...states] = (this.forwardLayer.returnState ? shapes : [shapes]) as SymbolicShape[];
    const merged = this.mergeMode === null ? [shape!, shape!] : [this.mergeMode === 'concat' ? [...shape!.slice(0, -1), 2 * this.forwardLayer.units] : shape!];
    const outputs = [...merged, ...states, ...states];
    return outputs.length === 1 ? outputs[0]! : outputs;
  }

  /** With mergeMode null both sequences, forward and backward, carry the mask (Keras, TF.js). */
  override get maskedOutputs(): number {
    return this.mergeMode === null ? 2 : 1;
  }

  override computeMask(_input: Tensor, mask: Tensor | undefined): Tensor | undefined {
    return this.forwardLayer.returnSequences ? mask : undefined;
  }

  /**
   * [merged] or [forward, backward] (mergeMode null), then with returnState the forward and
   * backward states; x may be [sequence, ...the forward layer's initial states, ...the backward's].
   */
  callOutputs(x: Tensor | Tensor[], context: CallContext): Tensor[] {
    return ENGINE.tidy(() => {
      const [sequence, ...initialStates] = Array.isArray(x) ? x : [x];
      const count = this.forwardLayer.stateCount;
      if (initialStates.length > 0 && initialStates.length !== 2 * count) {
        throw invalid(`Bidirectional (${this.name})`, `Expected ${2 * count} initial states: the forward layer's ${count}, then the backward layer's`, { initialState: `a list of ${initialStates.length}` });
      }
      const [forwardStates, backwardStates] = initialStates.length > 0 ? [initialStates.slice(0, count), initialStates.slice(count)] : [undefined, undefined];
      const forward = this.forwardLayer.runSequence(sequence!, context, forwardStates);
      const backward = this.backwardLayer.runSequence(sequence!, context, backwardStates);
      const sequences = this.forwardLayer.returnSequences;
      // The backward layer's outputs come last step first; they are put back in input order.
      const a = sequences ? ops.stack(forward.outputs, 1) : forward.output;
      const b = sequences ? ops.stack([...backward.outputs].reverse(), 1) : backward.output;
      const merged = this.mergeMode === null ? [a, b] : [MERGE[this.mergeMode](a, b)];
      return this.forwardLayer.returnState ? [...merged, ...forward.states, ...backward.states] : merged;
    });
  }

  /** The merged output, or with mergeMode null or returnState the list of callOutputs (as TF.js's and Keras's apply). */
  call(x: Tensor | Tensor[], context: CallContext): Tensor | Tensor[] {
    const outputs = this.callOutputs(x, context);
    return outputs.length === 1 ? outputs[0]! : outputs;
  }

  /** Like apply, but returns every output (see callOutputs). */
  applyOutputs(x: Tensor | Tensor[], context: Partial<CallContext> = {}): Tensor[] {
    return this.callOutputs(x, this.prepareToApply(x, context));
  }

  /** Whether the wrapped layer is stateful (both directions then carry their states). */
  get stateful(): boolean {
    return this.forwardLayer.stateful;
  }

  /**
   * Both directions start again from zeros (TF.js's resetStates, Keras's reset_state). Given states
   * are an error, not ignored as TF.js does: each direction takes its own (forwardLayer.resetStates(states)).
   */
  resetStates(states?: unknown): void {
    if (states !== undefined && states !== null) {
      throw invalid(`Bidirectional (${this.name}).resetStates`, 'Expected no states (both directions start from zeros; give each direction its own with forwardLayer.resetStates(states) and backwardLayer.resetStates(states))', { states: Array.isArray(states) ? `a list of ${states.length}` : typeof states });
    }
    this.forwardLayer.resetStates();
    this.backwardLayer.resetStates();
  }

  /** A wrapped layer made with trainable: false freezes both directions (Keras and TF.js copy it to the backward layer). */
  override get trainableWeights(): Variable[] {
    return this.trainable ? [...this.forwardLayer.trainableWeights, ...this.backwardLayer.trainableWeights] : [];
  }

  getConfig(): Record<string, unknown> {
    // The wrapped layer's trainable travels with its config (the backward copy and saved files take it, as TF.js's).
    return { layer: { className: this.forwardLayer.className, config: { ...this.forwardLayer.getConfig(), trainable: this.forwardLayer.trainable } }, mergeMode: this.mergeMode };
  }

  override dispose(): void {
    this.forwardLayer.dispose();
    this.backwardLayer.dispose();
    this.weights.length = 0;
    this.built = false;
  }
}
