/** Keras-style model summaries: layers, output shapes, parameter counts, and connections for graphs. */
import type { Layer, SymbolicShape } from '../layers/layer.js';

export interface SummaryRow {
  layer: Layer;
  /** The layer's output shapes (of its first node); empty when unknown. */
  shape: SymbolicShape[];
  /** The tensors it is called on, as `layer[node][output]`; undefined for Sequential's table. */
  connections?: string[];
}

function formatShape(shapes: SymbolicShape[]): string {
  if (shapes.length === 0) return '?';
  const one = (shape: SymbolicShape) => `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')}${shape.length === 1 ? ',' : ''})`;
  return shapes.length === 1 ? one(shapes[0]!) : `[${shapes.map(one).join(', ')}]`;
}

export interface SummaryOptions {
  lineLength?: number | undefined;
  positions?: number[] | undefined;
  printFn: (line: string) => void;
}

/**
 * Prints the table: Sequential's three columns (line length 65, positions .45, .85, 1), or with
 * connections Keras's functional four (line length 98, positions .33, .55, .67, 1), one line per
 * connection.
 */
export function printSummary(model: { name: string; countParams(): number }, rows: SummaryRow[], trainable: number, withConnections: boolean, options: SummaryOptions): void {
  const lineLength = options.lineLength ?? (withConnections ? 98 : 65);
  const positions = options.positions ?? (withConnections ? [0.33, 0.55, 0.67, 1] : [0.45, 0.85, 1]);
  const print = options.printFn;
  const columns = positions.map((p) => Math.floor(p * lineLength));
  // A cell too long for its column is cut, and the next starts after a space (Keras's print_row).
  const row = (cells: string[]) => cells.reduce((line, cell, i) => ((i > 0 ? `${line.slice(0, -1)} ` : line) + cell).padEnd(columns[i]!).slice(0, columns[i]!), '');
  print(`Model: "${model.name}"`);
  print('_'.repeat(lineLength));
  print(row([' Layer (type)', 'Output Shape', 'Param #', ...(withConnections ? ['Connected to'] : [])]));
  print('='.repeat(lineLength));
  rows.forEach(({ layer, shape, connections }, i) => {
    const cells = [` ${layer.name} (${layer.className})`, formatShape(shape), String(layer.countParams())];
    if (!withConnections) {
      print(row(cells));
    } else {
      const links = connections && connections.length > 0 ? connections : ['-'];
      print(row([...cells, links[0]!]));
      for (const link of links.slice(1)) print(row(['', '', '', link]));
    }
    if (i < rows.length - 1) print('');
  });
  const total = model.countParams();
  print('='.repeat(lineLength));
  print(`Total params: ${total}`);
  print(`Trainable params: ${trainable}`);
  print(`Non-trainable params: ${total - trainable}`);
  print('_'.repeat(lineLength));
}
