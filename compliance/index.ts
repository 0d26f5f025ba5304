// compliance: certify a vendor's terminal. The terminal under test (TUT) runs outside the
// harness; the harness plays its card (behind pcscd) and its platform (the engine behind a
// recorder), drives it through its terminal file's adapter, and judges what it did against
// a catalogue of requirements, writing a certificate. See compliance/README.md.
export type * from './types';
export { PlatformRecorder } from './recorder';
export type { EmbeddedEngine, Upstream } from './recorder';
export { loadTerminal, listTerminals, TERMINAL_FORMAT, TERMINALS_DIR } from './terminals';
export { act, fill, placeholders, reported } from './adapters';
export { REQUIREMENTS, requirement, taggedRequirements } from './requirements';
export { certificate, certificateRows, combine, readVerdicts, renderCertificate, writeCertificate } from './certificate';
export type { Certificate } from './certificate';
