// platform: the national platform's settlement interface (shared/platform-api.md) as one
// part: its message types, the typed client, signatures, the business clock and money on
// the wire; and the client of the harness's own control API (not the platform's: control.ts).
// The engine serves these types, the terminal and the steps call them, and a vendor's
// engine is judged against them.
export type * from './types';
export { PlatformClient, PlatformError, ENDPOINT, SERVICE_PATHS, INPUT_NESTS } from './client';
export type { InputNest } from './client';
export { ControlClient, CONTROL_PATH } from './control';
export { EvoucherClient, EvoucherError, EC_QUERY_PATH } from './evoucher';
export type { EvoucherClientOptions } from './evoucher';
export type { ControlBody } from './control';
export { canonicalText, signature, signatureHolds, SIGN_TYPES } from './signature';
export { BizClock, formatBizTime, formatStamp, parseBizTime, makeMsgid, msgidProblem } from './clock';
export { toFen, fmtFen, fmtRatio, parseYuan, wireToFen, MoneyError, MAX_FEN } from './money';
