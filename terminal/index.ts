// The reference terminal's public face: it reads a card over a CardChannel (rigs/) and
// drives any engine through the platform interface (platform/).
export type * from './types';
export { Terminal, refusalFromPlatform, DEFAULT_INITIAL_PINS } from './terminal';
export { CardSession, checkExpiry, checkHolder, vendorLine } from './card';
export { PsamSession } from './psam';
export { parseSetlinfo, parsePerson, isPlatformFailure, failureText } from './platform';
export { TerminalRefusal, REFUSALS, refusalByText, type RefusalCode } from './refusal';
export { renderReceiptHtml, renderReceiptText, CERTIFICATE_NAMES } from './receipt';
