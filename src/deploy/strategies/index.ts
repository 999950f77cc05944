import type { StrategyName } from '../inputs.js';
import { blueGreen } from './blue-green.js';
import { canary } from './canary.js';
import { rolling } from './rolling.js';
import type { Strategy } from './types.js';

export const strategies: Record<StrategyName, Strategy> = {
  rolling,
  'blue-green': blueGreen,
  canary,
};
