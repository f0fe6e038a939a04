import { init, jit, lax, nn, numpy as np, random, tree, valueAndGrad, type Array as JaxArray } from '@jax-js/jax';
import { CNN, SPEC, cnnData, timedFit, workloadData, type Engine } from './types.js';

type Params = { w: JaxArray[]; b: JaxArray[] };

/** Glorot-uniform kernels and zero biases, from jax-js's own generator. */
function initParams(sizes: number[]): Params {
  const w: JaxArray[] = [];
  const b: JaxArray[] = [];
  let key = random.key(0);
  for (let i = 0; i + 1 < sizes.length; i++) {
    const [k1, k2] = random.split(key) as unknown as [JaxArray, JaxArray];
    key = k2;
    const limit = Math.sqrt(6 / (sizes[i]! + sizes[i + 1]!));
    w.push(random.uniform(k1, [sizes[i]!, sizes[i + 1]!], { minval: -limit, maxval: limit }));
    b.push(np.zeros([sizes[i + 1]!]));
  }
  return { w, b };
}

export async function jaxEngine(): Promise<Engine> {
  await init('wasm');
  return {
    async train(workload, budgetSeconds) {
      const { x, y, rows, inputs, outputs } = workloadData(workload);
      const spec = SPEC[workload];
      const sizes = [inputs, ...spec.hidden, outputs];
      const layers = sizes.length - 1;
      const binary = workload === 'A';
      const loss = (params: Params, xb: JaxArray, yb: JaxArray, key: JaxArray): JaxArray => {
        let h = xb;
        for (let i = 0; i < layers; i++) {
          h = np.matmul(h, params.w[i]!).add(params.b[i]!);
          if (i < layers - 1) {
            h = nn.relu(h);
            if (binary) {
              const keep = random.bernoulli(key.ref, 0.8, h.shape as number[]);
              h = np.where(keep, h.mul(1 / 0.8), 0);
            }
          }
        }
        if (binary) {
          const p = np.clip(nn.sigmoid(h), 1e-7, 1 - 1e-7);
          key.dispose();
          return yb.ref.mul(np.log(p.ref)).add(np.subtract(1, yb).mul(np.log(np.subtract(1, p)))).mean().mul(-1);
        }
        key.dispose();
        return yb.mul(nn.logSoftmax(h)).sum(-1).mean().mul(-1);
      };
      const step = jit((params: Params, m: Params, v: Params, xb: JaxArray, yb: JaxArray, key: JaxArray, lrT: JaxArray) => {
        const [value, grads] = valueAndGrad(loss)(tree.ref(params), xb, yb, key) as unknown as [JaxArray, Params];
        const update = (p: JaxArray, g: JaxArray, mi: JaxArray, vi: JaxArray): [JaxArray, JaxArray, JaxArray] => {
          const m2 = mi.mul(0.9).add(g.ref.mul(0.1));
          const v2 = vi.mul(0.999).add(g.ref.mul(g).mul(0.001));
          const p2 = p.sub(m2.ref.mul(lrT.ref).div(np.sqrt(v2.ref).add(1e-7)));
          return [p2, m2, v2];
        };
        const out: [Params, Params, Params] = [{ w: [], b: [] }, { w: [], b: [] }, { w: [], b: [] }];
        for (const part of ['w', 'b'] as const) {
          for (let i = 0; i < layers; i++) {
            const [p2, m2, v2] = update(params[part][i]!, grads[part][i]!, m[part][i]!, v[part][i]!);
            out[0][part].push(p2);
            out[1][part].push(m2);
            out[2][part].push(v2);
          }
        }
        lrT.dispose();
        return [value, ...out] as never;
      });
      let params = initParams(sizes);
      const zeros = (): Params => ({ w: params.w.map((a) => np.zerosLike(a.ref)), b: params.b.map((a) => np.zerosLike(a.ref)) });
      let m = zeros();
      let v = zeros();
      const xs = np.array(x).reshape([rows, inputs]);
      const ys = np.array(y).reshape([rows, outputs]);
      let t = 0;
      let key = random.key(1);
      const run = (start: number, size: number) => {
        t++;
        const lrT = np.array([0.001 * Math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)]);
        const [k1, k2] = random.split(key) as unknown as [JaxArray, JaxArray];
        key = k2;
        const xb = xs.ref.slice([start, start + size]);
        const yb = ys.ref.slice([start, start + size]);
        const [value, p2, m2, v2] = step(params, m, v, xb, yb, k1, lrT) as unknown as [JaxArray, Params, Params, Params];
        params = p2;
        m = m2;
        v = v2;
        value.dataSync(); // reads the loss back every step (and consumes the array)
      };
      // The same loop a fit runs: epochs over the first n rows in order, batch by batch.
      const fit = async (n: number, epochs: number) => {
        for (let e = 0; e < epochs; e++) {
          for (let start = 0; start < n; start += spec.batchSize) run(start, Math.min(spec.batchSize, n - start));
        }
      };
      return timedFit(rows, spec.batchSize, spec.epochs, budgetSeconds, fit);
    },
    async trainCnn(budgetSeconds) {
      // jax-js convolves NCHW images with OIHW kernels (lax.conv's order): the data is laid out so once.
      const { x, y, rows } = cnnData();
      const [f1, f2] = CNN.filters;
      const glorot = (key: JaxArray, shape: number[], fanIn: number, fanOut: number) => {
        const limit = Math.sqrt(6 / (fanIn + fanOut));
        return random.uniform(key, shape, { minval: -limit, maxval: limit });
      };
      const [k0, k1, k2] = random.split(random.key(0), 3) as unknown as JaxArray[];
      let params: JaxArray[] = [
        glorot(k0!, [f1, 1, 3, 3], 9, 9 * f1), np.zeros([f1]),
        glorot(k1!, [f2, f1, 3, 3], 9 * f1, 9 * f2), np.zeros([f2]),
        glorot(k2!, [5 * 5 * f2, CNN.classes], 5 * 5 * f2, CNN.classes), np.zeros([CNN.classes]),
      ];
      const pool = (h: JaxArray) => lax.reduceWindow(h, (w: JaxArray) => np.max(w), [2, 2], [2, 2]);
      const loss = (p: JaxArray[], xb: JaxArray, yb: JaxArray, key: JaxArray): JaxArray => {
        let h = lax.conv(xb, p[0]!, [1, 1], 'VALID').add(p[1]!.reshape([1, f1, 1, 1]));
        h = pool(nn.relu(h));
        h = lax.conv(h, p[2]!, [1, 1], 'VALID').add(p[3]!.reshape([1, f2, 1, 1]));
        h = pool(nn.relu(h));
        const flat = h.reshape([-1, 5 * 5 * f2]);
        const keep = random.bernoulli(key, 0.5, flat.shape as number[]);
        const logits = np.matmul(np.where(keep, flat.mul(2), 0), p[4]!).add(p[5]!);
        return yb.mul(nn.logSoftmax(logits)).sum(-1).mean().mul(-1);
      };
      const step = jit((p: JaxArray[], m: JaxArray[], v: JaxArray[], xb: JaxArray, yb: JaxArray, key: JaxArray, lrT: JaxArray) => {
        const [value, grads] = valueAndGrad(loss)(tree.ref(p), xb, yb, key) as unknown as [JaxArray, JaxArray[]];
        const out: [JaxArray[], JaxArray[], JaxArray[]] = [[], [], []];
        p.forEach((pi, i) => {
          const g = grads[i]!;
          const m2 = m[i]!.mul(0.9).add(g.ref.mul(0.1));
          const v2 = v[i]!.mul(0.999).add(g.ref.mul(g).mul(0.001));
          out[0].push(pi.sub(m2.ref.mul(lrT.ref).div(np.sqrt(v2.ref).add(1e-7))));
          out[1].push(m2);
          out[2].push(v2);
        });
        lrT.dispose();
        return [value, ...out] as never;
      });
      let m = params.map((a) => np.zerosLike(a.ref));
      let v = params.map((a) => np.zerosLike(a.ref));
      const xs = np.array(x).reshape([rows, 28, 28, 1]).transpose([0, 3, 1, 2]);
      const ys = np.array(y).reshape([rows, CNN.classes]);
      let t = 0;
      let key = random.key(1);
      const fit = async (n: number, epochs: number) => {
        for (let e = 0; e < epochs; e++) {
          for (let start = 0; start < n; start += CNN.batchSize) {
            t++;
            const size = Math.min(CNN.batchSize, n - start);
            const lrT = np.array([0.001 * Math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)]);
            const [k1, k2] = random.split(key) as unknown as [JaxArray, JaxArray];
            key = k2;
            const [value, p2, m2, v2] = step(params, m, v, xs.ref.slice([start, start + size]), ys.ref.slice([start, start + size]), k1, lrT) as unknown as [JaxArray, JaxArray[], JaxArray[], JaxArray[]];
            [params, m, v] = [p2, m2, v2];
            value.dataSync();
          }
        }
      };
      return timedFit(rows, CNN.batchSize, CNN.epochs, budgetSeconds, fit);
    },
    async matmul(n) {
      const a = random.uniform(random.key(1), [n, n]);
      const b = random.uniform(random.key(2), [n, n]);
      np.matmul(a.ref, b.ref).dataSync();
      const reps = Math.max(3, Math.round(2e9 / (2 * n ** 3)));
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) np.matmul(a.ref, b.ref).dataSync();
      return (2 * n ** 3 * reps) / ((performance.now() - t0) / 1000) / 1e9;
    },
  };
}
