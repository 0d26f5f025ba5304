// Per-socket quick-ACK, the cure for the vpcd 20-APDU/s stall (see rigs/README.md).
// Debian's vpcd 0.8 writes a frame's length and body in two sends; without an immediate
// ACK of the first, the second waits ~40 ms for our delayed-ACK timer. TCP_QUICKACK is
// dropped by the kernel after a while, so it is set again after every read.
import type { Socket } from 'node:net';
import path from 'node:path';

type Addon = { setQuickAck(fd: number): boolean };
let addon: Addon | null | undefined;

export const QUICKACK_ADDON = path.join(__dirname, '..', 'native', 'quickack', 'build', 'Release', 'quickack.node');

function load(): Addon | null {
  if (addon === undefined) {
    try {
      addon = require(QUICKACK_ADDON) as Addon;
    } catch {
      addon = null;
    }
  }
  return addon;
}

export function quickAckAvailable(): boolean {
  return load() !== null;
}

/** Put the socket in quick-ACK mode now. Returns false when the addon is not built. */
export function quickAck(socket: Socket): boolean {
  const a = load();
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (!a || typeof fd !== 'number' || fd < 0) return false;
  try {
    return a.setQuickAck(fd);
  } catch {
    return false;
  }
}
