// platform: the national platform's settlement interface (shared/platform-api.md) as one
// part: its message types, the typed client, the business clock and money on the wire.
// The engine serves these types, the terminal and the steps call them, and a vendor's
// engine is judged against them.
export type * from './types';
export { PlatformClient, PlatformError, ENDPOINT } from './client';
export { BizClock, formatBizTime, parseBizTime, makeMsgid } from './clock';
export { toFen, fmtFen, fmtRatio, parseYuan, wireToFen, MoneyError, MAX_FEN } from './money';
