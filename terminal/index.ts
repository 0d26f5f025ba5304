// The reference terminal's public surface.
export { CardSession, checkExpiry, checkHolder, vendorLine, SSSE_DF_NAME, RECORDS, type CardData } from './card';
export { parseYuan, formatYuan, wireToFen } from './money';
export { parseSetlinfo, isPlatformFailure, failureText, type PlatformCaller, type Settlement, type EnvelopeOverrides } from './platform';
export { TerminalRefusal, REFUSALS, refusalByText, type RefusalCode } from './refusal';
export { renderReceiptHtml, renderReceiptText, type Receipt } from './receipt';
export { Terminal, refusalFromPlatform, parsePerson, type Institution, type LineItem, type CardPresentation, type VisitKind, type VisitRequest, type VisitOutcome, type PersonInfo, type TerminalOptions } from './terminal';
