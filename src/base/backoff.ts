/**
 * Waiting between retries: exponential backoff with full jitter.
 *
 * `backoffDelays({ firstMs, capMs })` yields an endless series of delays; the
 * n-th is drawn uniformly from [1, min(capMs, firstMs * 2^n)], so contenders
 * that collided once spread out instead of colliding again. `sleep(ms)` waits.
 * Callers bound the total wait with their own deadline.
 */
export function* backoffDelays(options: { firstMs: number; capMs: number }): Generator<number, never> {
  for (let attempt = 0; ; attempt++) {
    const ceiling = Math.min(options.capMs, options.firstMs * 2 ** Math.min(attempt, 30));
    yield 1 + Math.floor(Math.random() * ceiling);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
