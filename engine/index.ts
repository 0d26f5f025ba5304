// engine: the reference settlement engine. One entry point: createEngine().
export type { Engine, EngineOptions } from './types';
export { createEngine } from './engine';
export { renderReceiptText, renderReceiptHtml } from './receipt';
export { loadPolicies, PolicyError } from './policy';
export type { Policy } from './policy';
