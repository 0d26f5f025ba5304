// steps: the step vocabulary analysts write scenarios with, in Chinese and English. This is
// its public face (`medcard steps` reads it); cucumber loads the support code, steps/support.ts,
// by path (`medcard run`).
export type * from './types';
export { VOCABULARY } from './vocabulary';
export type { StepSpec } from './registry';
export { PARAMETERS, type ParameterSpec } from './parameters';
