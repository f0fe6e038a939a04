/**
 * TF.js's tf.linalg namespace: bandPart, gramSchmidt and qr, composed from verbatim's ops (so
 * they have gradients); their orders are in NUMERICS.md.
 */
import { invalid } from '../errors.js';
import { sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { convertToTensor, eye, ones, range, scalar, zeros, type TensorLike } from './creation.js';
import { asFloat, div, greater, greaterEqual, less, lessEqual, logicalAnd, minimum, mul, neg, sub, where } from './elementwise.js';
import { matMul } from './linalg.js';
import { op } from './op.js';
import { norm, sum } from './reduction.js';
import { concat, reshape, slice, stack, unstack } from './shape.js';

/**
 * A band limit of bandPart as an int32 scalar tensor: a negative one keeps the whole triangle
 * (the limit itself); a number above the limit is an error (TF.js's), a tensor is clamped to it.
 */
function bandLimit(value: number | TensorLike, name: string, limit: number, dimension: string): Tensor {
  const context = 'linalg.bandPart';
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value > limit) throw invalid(context, `Expected ${name} to be an integer at most the number of ${dimension} (${limit})`, { [name]: value });
    return scalar(value < 0 ? limit : value, 'int32');
  }
  const t = convertToTensor(value, name, context, 'int32');
  if (t.dtype !== 'int32' || t.rank !== 0) throw invalid(context, `Expected ${name} to be a number or an int32 scalar`, { [`${name}.dtype`]: t.dtype, [`${name}.shape`]: t.shape });
  return where(less(t, 0), limit, minimum(t, limit));
}

/**
 * TF.js's linalg.bandPart(a, numLower, numUpper): each innermost matrix of a with the elements
 * more than numLower below or numUpper above the diagonal set to 0 (a negative limit keeps the
 * whole triangle); limits are numbers or int32 scalars.
 */
export const bandPart = op(function bandPart(a: TensorLike, numLower: number | TensorLike, numUpper: number | TensorLike): Tensor {
  const t = convertToTensor(a, 'a', 'linalg.bandPart');
  if (t.rank < 2) throw invalid('linalg.bandPart', 'Expected a of rank 2 or more', { 'a.shape': t.shape });
  const [m, n] = t.shape.slice(-2) as [number, number];
  const lower = bandLimit(numLower, 'numLower', m, 'rows');
  const upper = bandLimit(numUpper, 'numUpper', n, 'columns');
  const below = sub(reshape(range(0, m, 1, 'int32'), [m, 1]), range(0, n, 1, 'int32'));
  const inBand = logicalAnd(lessEqual(below, lower), greaterEqual(below, neg(upper)));
  return where(inBand, t, zeros([], t.dtype));
});

/**
 * TF.js's linalg.gramSchmidt(xs): orthonormal vectors spanning xs (an array of vectors of one
 * length, or the rows of a matrix; no more vectors than their length), by modified Gram-Schmidt:
 * y_i is x_i minus, for j = 0, 1, ..., i - 1 in turn, (y_j . x) y_j of the x so far, then
 * divided by its euclidean norm. A vector dependent on the ones before it gives NaN, as in TF.js.
 */
export const gramSchmidt = op(function gramSchmidt(xs: Tensor | readonly Tensor[]): Tensor | Tensor[] {
  const context = 'linalg.gramSchmidt';
  const asMatrix = !Array.isArray(xs);
  let vectors: Tensor[];
  if (asMatrix) {
    const matrix = asFloat(xs as Tensor, context);
    if (matrix.rank !== 2) throw invalid(context, 'Expected xs to be a matrix (rank 2) or an array of vectors', { 'xs.shape': matrix.shape });
    vectors = unstack(matrix);
  } else {
    vectors = (xs as readonly Tensor[]).map((x, i) => {
      if (!(x instanceof Tensor)) throw invalid(context, 'Expected xs to be an array of tensors', { [`xs[${i}]`]: x });
      return asFloat(x, context);
    });
    if (vectors.length === 0) throw invalid(context, 'Expected a non-empty array of vectors', { 'xs.length': 0 });
    const bad = vectors.findIndex((v) => v.rank !== 1 || v.shape[0] !== vectors[0]!.shape[0]);
    if (bad >= 0) throw invalid(context, "Expected vectors (rank 1) of xs[0]'s length", { 'xs[0].shape': vectors[0]!.shape, [`xs[${bad}].shape`]: vectors[bad]!.shape });
  }
  const dimension = asMatrix ? (xs as Tensor).shape[1]! : vectors[0]!.shape[0]!;
  if (vectors.length > dimension) throw invalid(context, `Expected at most as many vectors as their length (${dimension})`, { vectors: vectors.length });
  const ys: Tensor[] = [];
  for (const vector of vectors) {
    let x = vector;
    for (const y of ys) x = sub(x, mul(sum(mul(y, x)), y));
    ys.push(div(x, norm(x)));
  }
  return asMatrix ? stack(ys) : ys;
});

/**
 * The Householder QR of one matrix [m, n], as TF.js computes it: for each column j < min(m, n),
 * w = [1, r[j+1:, j] / u], u = r[j][j] - s |r[j:, j]| with s = -1 if r[j][j] > 0 else 1,
 * tau = -s u / |r[j:, j]|; then r[j:, :] -= (tau w) (w^T r[j:, :]) and q[:, j:] -= (q[:, j:] w) (tau w)^T.
 */
function householderQr(x: Tensor, fullMatrices: boolean): [Tensor, Tensor] {
  const [m, n] = x.shape as [number, number];
  let q = eye(m);
  let r = reshape(x, [m, n]);
  const one = ones([1, 1]);
  for (let j = 0; j < Math.min(m, n); j++) {
    const column = slice(r, [j, j], [m - j, 1]);
    const columnNorm = norm(column);
    const diagonal = slice(r, [j, j], [1, 1]);
    const s = where(greater(diagonal, 0), -1, 1);
    const u = sub(diagonal, mul(s, columnNorm));
    const w = m - j === 1 ? one : concat([one, slice(div(column, u), [1, 0], [m - j - 1, 1])], 0);
    const tauW = mul(neg(div(mul(s, u), columnNorm)), w);
    const rows = slice(r, [j, 0], [m - j, n]);
    const newRows = sub(rows, matMul(tauW, matMul(w, rows, true, false)));
    r = j === 0 ? newRows : concat([slice(r, [0, 0], [j, n]), newRows], 0);
    const columns = slice(q, [0, j], [m, m - j]);
    const newColumns = sub(columns, matMul(matMul(columns, w), tauW, false, true));
    q = j === 0 ? newColumns : concat([slice(q, [0, 0], [m, j]), newColumns], 1);
  }
  if (!fullMatrices && m > n) return [slice(q, [0, 0], [m, n]), slice(r, [0, 0], [n, n])];
  return [q, r];
}

/**
 * TF.js's linalg.qr(x, fullMatrices = false): [q, r] with x = q r for each innermost matrix
 * [m, n] of x (int32 taken as float32), q orthogonal and r upper triangular, by TF.js's Householder reflections (above):
 * q [..., m, k] and r [..., k, n], k = min(m, n), or m with fullMatrices.
 */
export const qr = op(function qr(x: TensorLike, fullMatrices: boolean = false): [Tensor, Tensor] {
  const context = 'linalg.qr';
  const t = asFloat(x, context);
  if (t.rank < 2) throw invalid(context, 'Expected x of rank 2 or more', { 'x.shape': t.shape });
  if (typeof fullMatrices !== 'boolean') throw invalid(context, 'Expected fullMatrices to be true or false', { fullMatrices });
  if (t.rank === 2) return householderQr(t, fullMatrices);
  const [m, n] = t.shape.slice(-2) as [number, number];
  const batch = t.shape.slice(0, -2);
  const k = fullMatrices ? m : Math.min(m, n);
  const pairs = unstack(reshape(t, [sizeOf(batch), m, n])).map((matrix) => householderQr(matrix, fullMatrices));
  if (pairs.length === 0) return [zeros([...batch, m, k]), zeros([...batch, k, n])];
  return [reshape(stack(pairs.map(([q]) => q)), [...batch, m, k]), reshape(stack(pairs.map(([, r]) => r)), [...batch, k, n])];
});
