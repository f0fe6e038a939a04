/**
 * Graphs of layers (Keras's functional API): vb.input() makes a symbolic source, layer.apply()
 * on symbolic tensors adds nodes, and a Graph orders the nodes that the outputs depend on. The
 * order is a depth-first post-order from the outputs (in order), visiting each node's inputs in
 * order: it depends on the graph's shape alone, never on creation order or object identity.
 */
import { callWithMask, mergedMask } from '../layers/masking.js';
import { invalid } from '../errors.js';
import { InputLayer } from '../layers/core.js';
import { Layer, Node, SymbolicTensor, snakeCase, uniqueName, type CallContext, type SymbolicShape } from '../layers/layer.js';
import * as ops from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';

export interface InputArgs {
  /** One example's shape (no batch dimension); null for an unknown dimension. */
  shape: (number | null)[];
  dtype?: 'float32' | 'int32';
  name?: string;
}

/** A symbolic input of a graph (Keras's keras.Input, TF.js's tf.input). */
export function input(args: InputArgs): SymbolicTensor {
  if (!args || typeof args !== 'object' || !Array.isArray(args.shape)) throw invalid('input', 'Expected {shape, dtype?, name?}', { args });
  const dtype = args.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'int32') throw invalid('input', "Expected dtype 'float32' or 'int32'", { dtype });
  if (args.name !== undefined && (typeof args.name !== 'string' || args.name === '')) throw invalid('input', 'Expected name to be a non-empty string', { name: args.name });
  const layer = new InputLayer({ inputShape: args.shape, dtype, ...(args.name ? { name: args.name } : {}) });
  const node = new Node(layer, [], false);
  layer.inboundNodes.push(node);
  node.outputs.push(new SymbolicTensor(layer.batchInputShape, dtype, node, 0));
  return node.outputs[0]!;
}

export function isInputNode(node: Node): boolean {
  return node.layer instanceof InputLayer && node.inputs.length === 0;
}

/** The nodes that outputs depend on, inputs before users (see the module comment). */
export class Graph {
  readonly nodes: Node[] = [];
  /** Each layer once, in the order of its first node. */
  readonly layers: Layer[] = [];

  constructor(readonly inputs: readonly SymbolicTensor[], readonly outputs: readonly SymbolicTensor[], context: string) {
    // A record of symbolic tensors (Keras 3 takes them by name) would show as [object Object].
    const shown = (t: unknown) => (t instanceof SymbolicTensor ? String(t) : t?.constructor === Object ? `a record (keys ${Object.keys(t).join(', ')})` : t);
    inputs.forEach((t, i) => {
      if (!(t instanceof SymbolicTensor) || !isInputNode(t.node)) {
        throw invalid(context, 'Expected inputs made by vb.input(), one or a list of them', { [`inputs[${i}]`]: shown(t) });
      }
      if (inputs.indexOf(t) !== i) throw invalid(context, 'Expected each input once', { [`inputs[${i}]`]: String(t) });
    });
    outputs.forEach((t, i) => {
      if (!(t instanceof SymbolicTensor)) throw invalid(context, 'Expected outputs to be symbolic tensors (from layer.apply on vb.input() tensors), one or a list of them', { [`outputs[${i}]`]: shown(t) });
    });
    const visited = new Set<Node>();
    const visit = (node: Node, user: Node) => {
      if (visited.has(node)) return;
      visited.add(node);
      if (isInputNode(node)) {
        if (!inputs.some((t) => t.node === node)) {
          throw invalid(context, 'Expected a graph connected to the given inputs; an input it needs is missing from inputs',
            { input: node.layer.name ?? String(node.outputs[0]), neededBy: user.layer.name ?? user.layer.className });
        }
      } else {
        for (const t of node.inputs) visit(t.node, node);
      }
      this.nodes.push(node);
      if (!this.layers.includes(node.layer)) this.layers.push(node.layer);
    };
    for (const t of outputs) visit(t.node, t.node);
    // Inputs no output depends on still belong to the model (they are fed, and ignored).
    for (const t of inputs) {
      if (!visited.has(t.node)) {
        visited.add(t.node);
        this.nodes.unshift(t.node);
        this.layers.unshift(t.node.layer);
      }
    }
  }

  /**
   * Names the layers that have no name yet (dense, dense_1, ... unique within the model, in
   * graph order), gives layers that are in no model yet the path `<model>/<layer>`, and builds
   * them for the shapes of their first node. Layers already in a model keep their names, paths
   * and weights: they are shared.
   */
  adopt(modelName: string, context: string): void {
    const named = (n: string) => this.layers.some((l) => l.name === n);
    for (const layer of this.layers) layer.name ??= uniqueName(snakeCase(layer.className), named);
    for (const [i, layer] of this.layers.entries()) {
      if (this.layers.findIndex((l) => l.name === layer.name) !== i) throw invalid(context, 'Expected layer names (inputs included) unique within the model', { name: layer.name });
    }
    for (const node of this.nodes) {
      const layer = node.layer;
      if (!layer.path) layer.path = `${modelName}/${layer.name}`;
      if (!layer.built) layer.build(node.asList ? node.inputs.map((t) => t.shape) : node.inputs[0]!.shape);
    }
  }

  /** Each output's name: its layer's name, made unique (Keras's output names). */
  outputNames(): string[] {
    const names: string[] = [];
    for (const t of this.outputs) names.push(uniqueName(t.node.layer.name!, (n) => names.includes(n)));
    return names;
  }

  inputNames(): string[] {
    return this.inputs.map((t) => t.node.layer.name!);
  }

  inputShapes(): SymbolicShape[] {
    return this.inputs.map((t) => t.shape);
  }

  /**
   * Runs the nodes in order on real tensors. Each edge (symbolic tensor) carries its value and the
   * mask it carries (Keras's _keras_mask): the node's input masks go into the call's context, and
   * its output edges carry computeMask's result.
   */
  run(xs: readonly Tensor[], context: CallContext): Tensor[] {
    return this.runWithMasks(xs, context).outputs;
  }

  /**
   * run, with the mask each output carries (undefined for none): masked losses and metrics read
   * them. `inputMasks` are the masks the inputs carry (a model standing as a layer of another).
   */
  runWithMasks(xs: readonly Tensor[], context: CallContext, inputMasks: readonly (Tensor | undefined)[] = []): { outputs: Tensor[]; masks: (Tensor | undefined)[] } {
    const values = new Map<SymbolicTensor, Tensor>();
    // The mask each tensor carries (src/layers/masking.ts); a layer's first output carries its mask.
    const masks = new Map<SymbolicTensor, Tensor | undefined>();
    this.inputs.forEach((t, i) => masks.set(t, inputMasks[i]));
    // int32 and bool data for a float32 input are cast, as Keras and TF.js do (pixels, counts).
    this.inputs.forEach((t, i) => values.set(t, t.dtype === 'float32' && xs[i]!.dtype !== 'float32' ? ops.cast(xs[i]!, 'float32') : xs[i]!));
    for (const node of this.nodes) {
      if (isInputNode(node)) continue;
      // Every layer of a graph is built when the graph is made: one that is not was disposed.
      if (!node.layer.built) throw invalid(node.layer.name!, 'Expected a layer with its weights (it was disposed, with its model or alone)', { layer: node.layer.name });
      const args = node.inputs.map((t) => values.get(t)!);
      const inputMasks = node.inputs.map((t) => masks.get(t));
      // A layer of a list gets each input's mask (masksPerInput: Concatenate, MultiHeadAttention)
      // or their merge (mergedMask: Keras 3's or); one without mask support gets one only to warn that it stops there (the
      // masks of inputs of other lengths cannot be and-ed).
      const inputMask = node.layer.ignoresMasks ? undefined
        : !node.asList || node.layer.takesInitialState ? inputMasks[0]
        : node.layer.supportsMasking ? (node.layer.masksPerInput ? inputMasks : mergedMask(inputMasks)) : inputMasks.find((m) => m !== undefined);
      const { output, masks: outputMasks } = callWithMask(node.layer, node.asList ? args : args[0]!, inputMask, context);
      const outputs = Array.isArray(output) ? output : [output];
      node.outputs.forEach((t, i) => {
        values.set(t, outputs[i]!);
        masks.set(t, outputMasks[i]);
      });
    }
    return { outputs: this.outputs.map((t) => values.get(t)!), masks: this.outputs.map((t) => masks.get(t)) };
  }
}
