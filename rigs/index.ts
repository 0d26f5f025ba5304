// Rigs: how the terminal reaches a card. Each rig hands out CardChannels; the terminal and
// the steps know nothing else. `openRig(name)` is the one entry point; a rig file's `kind:`
// picks its driver from the registry (rigs/kinds/<kind>.ts).
import { loadRigFile } from './files';
import { rigKind } from './registry';
import { readerKey, release, reserve, type Holder } from './reservations';
import type { Rig, RigFile, RigOptions } from './types';
import type * as Pcsc from './pcsc';
import type * as Serial from './serial';
import type * as Tracing from './tracing';
import type * as VpcdMeasure from './vpcd-measure';

export * from './types';
export { EmulatedChannel } from './emulated';
export { VpcdCard, VpcdError, VPCD_BASE_PORT, VPCD_READERS } from './vpcd-card';
export { FrameDecoder, encodeFrame, answerFrame, Control } from './frames';
export { quickAckAvailable } from './quickack';
export { describeHolder, ReservedError, type Holder } from './reservations';
export { HeldCardDealer } from './held-cards';
export { loadRigFile, listRigFiles, parseRigFile, rigFilePath, rigFormat, RigFileError, UnknownRigError, describeEngine, CAPABILITIES, type RigFileIssue } from './files';
export { rigKind, rigKindNames, rigsDir } from './registry';
export type { PtyPair } from './serial';
export type { VpcdMeasurement } from './vpcd-measure';

// The PC/SC binding, serialport and the emulator's decoder load on first use, not with this
// index: `medcard run`'s main process and a worker on the emulated rig never need the first
// two (~0.2 s each), and the main process never needs the third (~0.5 s).
function lazy<M extends object>(load: () => M, names: readonly (keyof M & string)[]): void {
  for (const name of names) Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });
}
lazy(() => require('./pcsc') as typeof Pcsc, ['PcscChannel', 'listReaderNames', 'explainPcscError']);
lazy(() => require('./serial') as typeof Serial, ['SerialChannel', 'SerialCardServer', 'SerialControl', 'SerialStatus', 'ResyncDecoder', 'makePtyPair', 'openPty']);
lazy(() => require('./tracing') as typeof Tracing, ['TracingChannel', 'formatTrace']);
lazy(() => require('./vpcd-measure') as typeof VpcdMeasure, ['DO_NOTHING_CARD', 'measureVpcd']);
export declare const PcscChannel: typeof Pcsc.PcscChannel, listReaderNames: typeof Pcsc.listReaderNames, explainPcscError: typeof Pcsc.explainPcscError;
export type PcscChannel = Pcsc.PcscChannel;
export declare const SerialChannel: typeof Serial.SerialChannel, SerialCardServer: typeof Serial.SerialCardServer, SerialControl: typeof Serial.SerialControl,
  SerialStatus: typeof Serial.SerialStatus, ResyncDecoder: typeof Serial.ResyncDecoder, makePtyPair: typeof Serial.makePtyPair, openPty: typeof Serial.openPty;
export type SerialChannel = Serial.SerialChannel;
export type SerialCardServer = Serial.SerialCardServer;
export type ResyncDecoder = Serial.ResyncDecoder;
export declare const TracingChannel: typeof Tracing.TracingChannel, formatTrace: typeof Tracing.formatTrace;
export type TracingChannel = Tracing.TracingChannel;
export declare const DO_NOTHING_CARD: typeof VpcdMeasure.DO_NOTHING_CARD, measureVpcd: typeof VpcdMeasure.measureVpcd;

/**
 * Hold the readers a run of `rig` with `workers` workers uses, for this process (the run's
 * coordinator), waiting while another run holds one: `onWait` hears who. Returns the release.
 */
export async function reserveReaders(rig: RigFile, workers: number, o: { waitMs: number; onWait?: (reader: string, holder: Holder) => void }): Promise<() => void> {
  const readers = rigKind(rig.kind)!.readers?.(rig, workers) ?? [];
  const taken: string[] = [];
  try {
    for (const r of readers) {
      await reserve(readerKey(r), `reader "${r}"`, { waitMs: o.waitMs, onWait: (h) => o.onWait?.(r, h) });
      taken.push(r);
    }
  } catch (err) {
    for (const r of taken) release(readerKey(r));
    throw err;
  }
  return () => { for (const r of taken) release(readerKey(r)); };
}

/**
 * The one entry point: a rig name (rigs/<name>.yaml) or a path to a rig file. The rig file's
 * engine is not started here — `medcard run` resolves it once, for all workers.
 */
export async function openRig(nameOrFile: string | RigFile, options: RigOptions = {}): Promise<Rig> {
  const rig = typeof nameOrFile === 'string' ? loadRigFile(nameOrFile) : nameOrFile;
  // parseRigFile refused unknown kinds, so the driver is there.
  return rigKind(rig.kind)!.open(rig, options);
}
