// The layers package's seed source. A seeded initializer or Dropout uses its own seed; an unseeded
// one draws a seed from this process-wide generator, so `setRandomSeed(n)` makes a whole freshly
// built model reproducible (Keras's `keras.utils.set_random_seed`).
import { RandomGenerator } from '@tensorzoo/core';

let generator = new RandomGenerator(Math.floor(Math.random() * 2 ** 32));

/** Reseeds the generator that unseeded initializers and dropouts draw their seeds from. */
export function setRandomSeed(seed: number): void {
  generator = new RandomGenerator(seed);
}

/** A fresh 32-bit seed from the process-wide generator. */
export function drawSeed(): number {
  return generator.nextUint32();
}

/**
 * A stream of seeds from one starting seed (Keras's SeedGenerator): each `next()` gives a new
 * seed, and the sequence is the same for the same starting seed.
 */
export class SeedStream {
  private readonly generator: RandomGenerator;
  constructor(readonly seed: number | null = null) {
    this.generator = new RandomGenerator(seed ?? drawSeed());
  }
  next(): number {
    return this.generator.nextUint32();
  }
}
