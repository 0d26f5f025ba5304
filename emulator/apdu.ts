// Short command APDUs (ISO 7816-4 cases 1–4). Extended lengths and malformed lengths are
// rejected with 6700 by the dispatcher (parseApdu returns null).

export interface Command {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  /** Command data (case 3/4); empty for case 1/2. A view into the caller's bytes. */
  data: Uint8Array;
  /** Ne: expected response length, 1–256; 0 when Le is absent (case 1/3). */
  le: number;
  /** ISO case 1–4. */
  case: 1 | 2 | 3 | 4;
}

/**
 * Parse a short APDU. Returns null when the bytes are not a well-formed short APDU:
 * fewer than 4 bytes, an extended length (a 00 byte where Lc would be, followed by more
 * bytes), or an Lc that does not match the number of bytes.
 */
export function parseApdu(b: Uint8Array): Command | null {
  const n = b.length;
  if (n < 4) return null;
  const cmd: Command = { cla: b[0], ins: b[1], p1: b[2], p2: b[3], data: EMPTY, le: 0, case: 1 };
  if (n === 4) return cmd;
  const b4 = b[4];
  if (n === 5) { cmd.le = b4 === 0 ? 256 : b4; cmd.case = 2; return cmd; }
  if (b4 === 0) return null; // extended length (or an Lc of 0 followed by bytes): not supported
  if (n === 5 + b4) { cmd.data = b.subarray(5, n); cmd.case = 3; return cmd; }
  if (n === 6 + b4) {
    cmd.data = b.subarray(5, n - 1);
    const le = b[n - 1];
    cmd.le = le === 0 ? 256 : le;
    cmd.case = 4;
    return cmd;
  }
  return null;
}

const EMPTY = new Uint8Array(0);
