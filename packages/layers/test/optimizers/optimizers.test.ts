// SGD (momentum, nesterov), Adam, AdamW, clipping and schedules against the Keras update rules
// computed on the host in float64 (the naive twins), over three steps of fixed gradients.
import { expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { Adam, AdamW, ConstantLearningRate, CosineDecay, SGD, Variable, clipByGlobalNorm, globalNorm, optimizerFromConfig, scheduleFromConfig, warmupCosineDecay, type Optimizer } from '@tensorzoo/layers';
import { describeBackends } from '../harness.js';

const initial = [0.5, -1.25, 2, 0.125];
const gradientSteps = [[0.1, -0.2, 0.3, 0], [-0.4, 0.5, 0.05, 1], [0.2, 0.2, -0.6, -0.3]];

/** Runs three steps; returns the variable's values after each. */
function runSteps(optimizer: Optimizer): number[][] {
  const variable = new Variable({ name: 'w', shape: [4], initialValue: initial });
  const seen: number[][] = [];
  for (const step of gradientSteps) {
    const gradient = tz.tensor(step, [4]);
    optimizer.applyGradients([gradient], [variable]);
    gradient.dispose();
    seen.push(Array.from(variable.numpy()));
  }
  optimizer.dispose();
  variable.dispose();
  return seen;
}

/** The host twin: `update(w, g, t, state)` per entry, in float64. */
function hostSteps(update: (w: number, g: number, t: number, state: Record<string, number>) => number): number[][] {
  const weights = [...initial];
  const states = weights.map(() => ({}) as Record<string, number>);
  return gradientSteps.map((step, t) => {
    step.forEach((g, index) => (weights[index] = update(weights[index]!, g, t, states[index]!)));
    return [...weights];
  });
}

function expectClose(got: number[][], expected: number[][], digits = 6): void {
  got.forEach((row, step) => row.forEach((value, index) => expect(value, `step ${step} entry ${index}`).toBeCloseTo(expected[step]![index]!, digits)));
}

describeBackends('optimizers', (suite) => {
  suite.test('SGD: plain, momentum, nesterov', () => {
    expectClose(runSteps(new SGD({ learningRate: 0.1 })), hostSteps((w, g) => w - 0.1 * g));
    const momentum = (nesterov: boolean) => (w: number, g: number, _t: number, state: Record<string, number>) => {
      const m = 0.9 * (state.m ?? 0) - 0.1 * g;
      state.m = m;
      return nesterov ? w + 0.9 * m - 0.1 * g : w + m;
    };
    expectClose(runSteps(new SGD({ learningRate: 0.1, momentum: 0.9 })), hostSteps(momentum(false)));
    expectClose(runSteps(new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true })), hostSteps(momentum(true)));
  });

  const adamTwin = (lr: number, decay: number) => (w: number, g: number, t: number, state: Record<string, number>) => {
    const step = t + 1;
    w = w - w * decay * lr;
    state.m = (state.m ?? 0) + (g - (state.m ?? 0)) * 0.1;
    state.v = (state.v ?? 0) + (g * g - (state.v ?? 0)) * 0.001;
    const alpha = (lr * Math.sqrt(1 - 0.999 ** step)) / (1 - 0.9 ** step);
    return w - (alpha * state.m) / (Math.sqrt(state.v) + 1e-7);
  };

  suite.test('Adam and AdamW (decoupled weight decay)', () => {
    expectClose(runSteps(new Adam({ learningRate: 0.05 })), hostSteps(adamTwin(0.05, 0)));
    expectClose(runSteps(new AdamW({ learningRate: 0.05, weightDecay: 0.1 })), hostSteps(adamTwin(0.05, 0.1)));
    expectClose(runSteps(new AdamW({ learningRate: 0.05 })), hostSteps(adamTwin(0.05, 0.004)));
  });

  suite.test('a schedule is read at the iteration count', () => {
    const schedule = new CosineDecay({ initialLearningRate: 0.1, decaySteps: 2 });
    const rates = [0.1, 0.05, 0];
    expectClose(runSteps(new SGD({ learningRate: schedule })), hostSteps((w, g, t) => w - rates[t]! * g));
  });

  suite.test('global-norm clipping scales every gradient together; clipnorm and clipvalue per gradient', () => {
    const a = new Variable({ name: 'a', shape: [2], initialValue: [0, 0] });
    const b = new Variable({ name: 'b', shape: [1], initialValue: [0] });
    const ga = tz.tensor([3, 0]);
    const gb = tz.tensor([4]);
    const optimizer = new SGD({ learningRate: 1, globalClipnorm: 1 });
    optimizer.applyGradients([ga, gb], [a, b]);
    expect(optimizer.lastGlobalNorm).toBeCloseTo(5, 6);
    expect(Array.from(a.numpy()).map((value) => +value.toFixed(6))).toEqual([-0.6, 0]);
    expect(Array.from(b.numpy())[0]).toBeCloseTo(-0.8, 6);
    const perVariable = new SGD({ learningRate: 1, clipnorm: 1 });
    perVariable.applyGradients([ga, gb], [a, b]);
    expect(Array.from(a.numpy())[0]).toBeCloseTo(-1.6, 6);
    expect(Array.from(b.numpy())[0]).toBeCloseTo(-1.8, 6);
    const byValue = new SGD({ learningRate: 1, clipvalue: 0.5 });
    byValue.applyGradients([ga, gb], [a, b]);
    expect(Array.from(b.numpy())[0]).toBeCloseTo(-2.3, 6);
    const { gradients, globalNorm: norm } = clipByGlobalNorm([ga, gb], 10);
    expect(norm).toBeCloseTo(5, 6);
    expect(Array.from(gradients[1]!.dataSync())).toEqual([4]);
    expect(globalNorm([ga])).toBeCloseTo(3, 6);
    tz.dispose([ga, gb, ...gradients]);
    a.dispose();
    b.dispose();
  });

  suite.test('Adam minimizes a quadratic through variableGrads (minimize)', () => {
    const variable = new Variable({ name: 'x', shape: [3], initialValue: [3, -2, 1] });
    const target = tz.tensor([1, 1, 1]);
    const optimizer = new Adam({ learningRate: 0.1 });
    const loss = () => tz.sum(tz.square(tz.sub(variable.value, target)));
    const first = optimizer.minimize(loss, [variable]);
    let last = first;
    for (let step = 0; step < 150; step++) last = optimizer.minimize(loss, [variable]);
    expect(first).toBeCloseTo(13, 4);
    expect(last).toBeLessThan(1e-3);
    expect(optimizer.iterations).toBe(151);
    optimizer.dispose();
    variable.dispose();
    target.dispose();
  });

  suite.test('errors name the argument, the expectation and what was received', () => {
    const variable = new Variable({ name: 'w', shape: [2], initialValue: [1, 2] });
    const wrong = tz.tensor([1, 2, 3]);
    const optimizer = new SGD();
    expect(() => optimizer.applyGradients([wrong], [variable])).toThrow(/SGD.applyGradients: argument 'gradients\[0\]' expected shape \[2\] \(variable 'w'\), received \[1, 2, 3\]|expected shape \[2\]/);
    expect(() => optimizer.applyGradients([], [variable])).toThrow(/argument 'gradients' expected 1 tensors/);
    expect(() => new SGD({ momentum: 1 })).toThrow(/argument 'momentum' expected a number in \[0, 1\)/);
    expect(() => new Adam({ learningRate: -1 })).toThrow(/argument 'learningRate' expected a non-negative number or a LearningRateSchedule/);
    expect(() => new Adam({ clipnorm: 1, globalClipnorm: 1 })).toThrow(/only one of clipnorm, clipvalue and globalClipnorm/);
    expect(() => new CosineDecay({ initialLearningRate: 1, decaySteps: 0 })).toThrow(/argument 'decaySteps' expected a positive integer/);
    expect(optimizer.iterations).toBe(0);
    wrong.dispose();
    variable.dispose();
  });
});

test('schedules: constant; linear warmup then cosine decay (Keras CosineDecay with warmup)', () => {
  expect(new ConstantLearningRate(0.3).call()).toBe(0.3);
  const schedule = warmupCosineDecay(1e-3, 10, 100, 0.1);
  expect(schedule.call(0)).toBe(0);
  expect(schedule.call(5)).toBeCloseTo(5e-4, 12);
  expect(schedule.call(10)).toBeCloseTo(1e-3, 12);
  expect(schedule.call(60)).toBeCloseTo(1e-3 * (0.9 * 0.5 + 0.1), 12);
  expect(schedule.call(110)).toBeCloseTo(1e-4, 12);
  expect(schedule.call(500)).toBeCloseTo(1e-4, 12);
  const noWarmup = new CosineDecay({ initialLearningRate: 2, decaySteps: 4 });
  expect(noWarmup.call(2)).toBeCloseTo(1, 12);
  expect(scheduleFromConfig(schedule.getConfig()).call(60)).toBe(schedule.call(60));
  expect(scheduleFromConfig(new ConstantLearningRate(0.5).getConfig()).call(9)).toBe(0.5);
});

test('getConfig of each optimizer', () => {
  expect(new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }).getConfig()).toEqual({
    className: 'SGD', name: 'SGD', learningRate: 0.1, weightDecay: null, clipnorm: null, clipvalue: null, globalClipnorm: null, momentum: 0.9, nesterov: true,
  });
  expect(new Adam().getConfig()).toMatchObject({ className: 'Adam', name: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
  expect(new AdamW({ globalClipnorm: 1 }).getConfig()).toMatchObject({ className: 'AdamW', name: 'adamw', weightDecay: 0.004, globalClipnorm: 1 });
  expect(new Adam({ learningRate: warmupCosineDecay(0.01, 2, 8) }).getConfig().learningRate).toMatchObject({ className: 'CosineDecay', warmupTarget: 0.01 });
});

test('optimizerFromConfig rebuilds each optimizer from getConfig', () => {
  const optimizers = [
    new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true, clipnorm: 2 }),
    new Adam({ learningRate: warmupCosineDecay(0.01, 2, 8), beta1: 0.8, globalClipnorm: 1 }),
    new AdamW({ learningRate: 3e-4, weightDecay: 0.01, epsilon: 1e-6 }),
  ];
  for (const optimizer of optimizers) {
    const rebuilt = optimizerFromConfig(optimizer.getConfig());
    expect(rebuilt.constructor).toBe(optimizer.constructor);
    expect(rebuilt.getConfig()).toEqual(optimizer.getConfig());
  }
  expect(() => optimizerFromConfig({ className: 'RMSprop' })).toThrow(/optimizerFromConfig: argument 'config' expected a getConfig\(\) of SGD, Adam, AdamW/);
});
