/**
 * The Sequential model: a LayersModel whose graph is the chain of the layers given to add().
 * Layers are named uniquely within the model as they are added (dense, dense_1, ...) and built
 * as soon as the input shape is known (from the first layer's inputShape, or from the first
 * data), so weights are named `<model>/<layer>/<weight>` and their unseeded initial values come
 * from keys of those names.
 */
import { invalid } from '../errors.js';
import { InputLayer } from '../layers/core.js';
import { Layer, holdsVariables, snakeCase, uniqueName, type CallContext, type SymbolicShape } from '../layers/layer.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Data } from './arguments.js';
import { LayersModel } from './model.js';
import { printSummary } from './summary.js';
import { Graph, input } from './topology.js';

/** The name of the input a Sequential's chain starts from (for data given by name). */
const SEQUENTIAL_INPUT = 'input_layer';

export class Sequential extends LayersModel {
  private readonly added: Layer[] = [];
  private inputShape: SymbolicShape | undefined;
  private chain: Graph | undefined;

  constructor(args: { layers?: (Layer | LayersModel)[]; name?: string } = {}) {
    super({ ...(args.name !== undefined ? { name: args.name } : {}), chain: true });
    for (const layer of args.layers ?? []) this.add(layer);
  }

  override get className(): string {
    return 'Sequential';
  }

  override get layers(): Layer[] {
    return this.added;
  }

  /** Appends a layer (or a model, as one layer); builds it at once when the input shape is known. */
  add(item: Layer | LayersModel): void {
    const layer = item instanceof LayersModel ? item.asLayer() : item;
    if (!(layer instanceof Layer)) throw invalid(`${this.name}.add`, 'Expected a layer', { layer });
    if (this.added.includes(layer) || layer.path) {
      throw invalid(`${this.name}.add`, 'Expected a layer that is not already in a model', { layer: layer.name });
    }
    if (layer.declaredInputShape && this.added.length > 0) {
      throw invalid(`${this.name}.add`, 'Expected inputShape only on the first layer', { layer: layer.name ?? layer.className, inputShape: layer.declaredInputShape });
    }
    // A removed (popped) layer that still holds its weights keeps its name taken.
    layer.name ??= uniqueName(snakeCase(layer.className), (n) => this.added.some((l) => l.name === n) || holdsVariables(`${this.name}/${n}`));
    if (this.added.some((l) => l.name === layer.name)) {
      throw invalid(`${this.name}.add`, 'Expected layer names unique within the model', { name: layer.name });
    }
    layer.path = `${this.name}/${layer.name}`;
    this.added.push(layer);
    this.discardChain();
    if (this.added.length === 1) {
      if (layer.declaredInputShape) this.inputShape = [null, ...layer.declaredInputShape];
      else if (item instanceof LayersModel) this.inputShape = item.expectedInputShapes()?.[0];
    }
    if (this.inputShape) this.buildLayers(this.inputShape);
    // Layers added after compile train after the next compile; until then from the first step.
    if (this.compiled) this.compiled.trainableWeights = undefined;
  }

  /**
   * Removes the last layer and returns it (Keras 3; TF.js's pop returns nothing). The model is
   * the chain of the layers left, its input shape kept (Keras keeps its input layer). The removed
   * layer keeps its weights (dispose it to free them) and cannot join a model again. As with add,
   * a compiled model trains the layers it has from the next step.
   */
  pop(): Layer {
    if (this.added.length === 0) throw invalid(`${this.name}.pop`, 'Expected a model with a layer to remove', { layers: 0 });
    // The models it is a layer of were built on its layers: they would compute (and save) the old chain.
    if (this.usedAsLayer()) throw invalid(`${this.name}.pop`, 'Expected a model that is not a layer of another model', { model: this.name });
    this.discardChain();
    const layer = this.added.pop()!;
    this.currentGraph();
    if (this.compiled) this.compiled.trainableWeights = undefined;
    return layer;
  }

  /** Builds the layers not built yet, in order, from the chain's input shape. */
  private buildLayers(inputShape: SymbolicShape): void {
    let shape = inputShape;
    for (const layer of this.added) {
      if (!layer.built) layer.build(shape);
      shape = layer.computeOutputShape(shape) as SymbolicShape;
    }
    // The symbolic chain now, so that layer.outputShape and model.outputs are known at once.
    this.currentGraph();
  }

  /** Forgets the symbolic chain, and its nodes in the layers, so that each layer keeps one node (layer.output). */
  private discardChain(): void {
    for (const node of this.chain?.nodes ?? []) {
      const nodes = node.layer.inboundNodes;
      nodes.splice(nodes.indexOf(node), 1);
    }
    this.chain = undefined;
  }

  protected override currentGraph(): Graph | undefined {
    if (!this.inputShape || this.added.length === 0) return undefined;
    if (!this.chain) {
      const source = input({ shape: this.inputShape.slice(1), name: SEQUENTIAL_INPUT });
      let x = source;
      for (const layer of this.added) {
        const output = layer.applySymbolic(x);
        if (Array.isArray(output)) {
          throw invalid(`${this.name}.add`, 'Expected layers of one output in a Sequential model (with several, such as returnState, use a functional model)', { layer: layer.name, outputs: output.length });
        }
        x = output;
      }
      this.chain = new Graph([source], [x], `${this.name}`);
    }
    return this.chain;
  }

  override call(x: Tensor, context: CallContext): Tensor {
    return super.call(x, context) as Tensor;
  }

  /** Outputs in inference mode, computed batchSize rows at a time. */
  override predict(x: Data, args: { batchSize?: number; verbose?: boolean } = {}): Tensor {
    return super.predict(x, args) as Tensor;
  }

  /** Builds every layer for inputs of this shape (batch first, null), if not built yet. */
  override ensureBuilt(inputShapes: SymbolicShape[], context: string): void {
    if (this.added.length === 0) throw invalid(context, 'Expected a model with at least one layer', { model: this.name });
    if (this.inputShape) return;
    if (inputShapes.length !== 1) throw invalid(context, 'Expected one input tensor (a Sequential model has one input)', { inputs: inputShapes.length });
    this.inputShape = inputShapes[0]!;
    try {
      this.buildLayers(this.inputShape);
    } catch (error) {
      // Inputs of a shape the layers refuse (single examples where batches belong) must not fix
      // that shape: the model stays unbuilt, so that a call with the right inputs builds it.
      this.inputShape = undefined;
      this.discardChain();
      throw error;
    }
  }

  override expectedInputShapes(): SymbolicShape[] | undefined {
    return this.inputShape ? [this.inputShape] : undefined;
  }

  /** The name of an InputLayer given first (Keras 3 and TF.js name the input after it), else input_layer. */
  override get inputNames(): string[] {
    const first = this.added[0];
    return [first instanceof InputLayer ? first.name! : SEQUENTIAL_INPUT];
  }

  override get outputNames(): string[] {
    const last = this.added.at(-1);
    return last ? [last.name!] : ['output'];
  }

  override outputShapesFor(inputShapes: SymbolicShape[]): SymbolicShape[] {
    let shape = this.inputShape ?? inputShapes[0]!;
    for (const layer of this.added) shape = layer.computeOutputShape(shape) as SymbolicShape;
    return [shape];
  }

  protected override compileNames(): string[] {
    return this.outputNames;
  }

  /** A Keras-style table of layers, output shapes and parameter counts. */
  override summary(lineLength?: number, positions?: number[], printFn: (line: string) => void = console.log): void {
    let shape = this.inputShape;
    const rows = this.added.map((layer) => {
      shape = shape && layer.built ? (layer.computeOutputShape(shape) as SymbolicShape) : undefined;
      return { layer, shape: shape ? [shape] : [] };
    });
    printSummary(this, rows, this.trainableWeights.reduce((n, w) => n + w.size, 0), false, { lineLength, positions, printFn });
  }

  /** The architecture and training configuration, for run records. */
  override getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      inputShape: this.inputShape ?? null,
      layers: this.added.map((l) => ({ className: l.className, name: l.name, config: l.getConfig() })),
      ...this.trainingConfig(),
    };
  }
}

export function sequential(args: { layers?: (Layer | LayersModel)[]; name?: string } = {}): Sequential {
  return new Sequential(args);
}
