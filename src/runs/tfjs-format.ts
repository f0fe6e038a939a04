/** Weights in TF.js Layers format: model.json (topology and weights manifest) and weights.bin. */
import type { ObservedModel } from '../models/observers.js';
import type { Variable } from '../tensor/tensor.js';
import { littleEndianBytes } from '../util/bytes.js';

/** The weights' raw float32 bytes, little-endian, concatenated in order. */
export function weightBytes(weights: readonly Variable[]): Uint8Array {
  const total = weights.reduce((n, w) => n + w.size, 0);
  const bytes = new Uint8Array(total * 4);
  let offset = 0;
  for (const w of weights) {
    bytes.set(littleEndianBytes(w.dataSync() as Float32Array), offset);
    offset += w.size * 4;
  }
  return bytes;
}

const snake = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

export function tfjsModelJson(model: ObservedModel): Record<string, unknown> {
  const config = model.getConfig() as {
    name: string; className?: string; inputShape?: (number | null)[] | null; inputLayers?: unknown[]; outputLayers?: unknown[];
    layers: { className: string; name: string; config: Record<string, unknown>; inboundNodes?: unknown[] }[];
  };
  // A functional model's topology (TF.js's class 'Model'): layers with their inbound nodes.
  const graph = config.className === 'Functional';
  return {
    format: 'layers-model',
    generatedBy: 'verbatim',
    convertedBy: null,
    modelTopology: {
      class_name: graph ? 'Model' : 'Sequential',
      config: {
        name: config.name,
        layers: config.layers.map((layer, i) => ({
          class_name: layer.className,
          ...(graph ? { name: layer.name, inbound_nodes: (layer.inboundNodes ?? []).map((node) => (node as unknown[]).map((ref) => [...(ref as unknown[]), {}])) } : {}),
          config: {
            name: layer.name,
            ...Object.fromEntries(Object.entries(layer.config).map(([k, v]) => [snake(k), v])),
            ...(i === 0 && config.inputShape ? { batch_input_shape: config.inputShape } : {}),
          },
        })),
        ...(graph ? { input_layers: config.inputLayers, output_layers: config.outputLayers } : {}),
      },
    },
    weightsManifest: [{ paths: ['weights.bin'], weights: model.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) }],
  };
}
