// An optimizer from its getConfig() (Keras's optimizers.deserialize for the ones tensorzoo has).
// Slots and the iteration count are state, not configuration: a rebuilt optimizer starts fresh.
import { argumentError } from '@tensorzoo/core';
import { Adam, type AdamOptions } from './adam.js';
import { AdamW } from './adamw.js';
import type { Optimizer } from './optimizer.js';
import { scheduleFromConfig } from './schedules.js';
import { SGD, type SGDOptions } from './sgd.js';

const classNames = ['SGD', 'Adam', 'AdamW'] as const;

export function optimizerFromConfig(config: Record<string, unknown>): Optimizer {
  const className = config?.className;
  if (!classNames.includes(className as (typeof classNames)[number]))
    argumentError('optimizerFromConfig', 'config', `a getConfig() of ${classNames.join(', ')} (with its className)`, config);
  const { className: _ignored, learningRate, ...rest } = config;
  const options = {
    ...rest,
    learningRate: typeof learningRate === 'object' && learningRate !== null ? scheduleFromConfig(learningRate as Record<string, unknown>) : (learningRate as number | undefined),
  };
  if (className === 'SGD') return new SGD(options as SGDOptions);
  if (className === 'Adam') return new Adam(options as AdamOptions);
  return new AdamW(options as AdamOptions);
}
