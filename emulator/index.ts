// The card emulator's public API. Everything else in emulator/ is internal.

export { EmulatedCard } from './card';
export type { EmulatedCardOptions, CardSnapshot, CardInterface } from './card';
export type { CardProfile, TraceEntry, BinaryFileSpec, Gen3Spec } from './types';
export { loadCardProfile, parseCardProfile, loadCardProfiles, CardProfileError, CARD_PROFILE_FORMAT } from './profile';
export type { ProfileIssue } from './profile';
export { decodeExchange, formatTraceEntry, maskedCommandHex } from './trace';
export type { DecodeOptions } from './trace';
export { SW, swMeaning, isKnownSw } from './sw';
export type { SwName } from './sw';
export { encodeGbk, decodeGbk } from './gbk';
export { defaultAtr, contactlessDefaultAtr, parseAtr } from './atr';
export { toHex, fromHex } from './hex';
export { EmulatedPsam } from './psam';
export type { EmulatedPsamOptions } from './psam';
export { loadPsamProfile, PSAM_PROFILE_FORMAT, DEFAULT_PSAM_ATR, DEFAULT_MASTER_KEY } from './profile';
export type { PsamProfile } from './types';
