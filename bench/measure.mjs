// Timing loops shared by the benchmark modules (bench/cases.mjs, bench/practice.mjs), in Node
// and in the browser.

export const now = () => performance.now();

/** Runs a synchronous `fn` for about `ms` milliseconds; returns ops/s. */
export function measureSync(fn, ms) {
  let ops = 0;
  let batch = 1;
  const t0 = now();
  let t = t0;
  while (t - t0 < ms) {
    const b0 = t;
    for (let i = 0; i < batch; i++) fn();
    ops += batch;
    t = now();
    if (t - b0 < 2 && batch < 1 << 16) batch *= 2; // keep timer reads out of the hot path
  }
  return (ops * 1000) / (t - t0);
}

/** Runs an asynchronous `fn` (each call awaited) for about `ms` milliseconds; returns ops/s. */
export async function measureAsync(fn, ms) {
  let ops = 0;
  let batch = 1;
  const t0 = now();
  let t = t0;
  while (t - t0 < ms) {
    const b0 = t;
    for (let i = 0; i < batch; i++) await fn();
    ops += batch;
    t = now();
    if (t - b0 < 2 && batch < 1 << 16) batch *= 2;
  }
  return (ops * 1000) / (t - t0);
}
