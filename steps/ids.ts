// Unique people, card numbers and institution codes per scenario, so scenarios sharing one
// engine per worker never see each other's data (and a reused PostgreSQL never collides).
import { randomBytes } from 'node:crypto';

const RUN = randomBytes(3).readUIntBE(0, 3); // 0..16M, different each run
let counter = 0;
const worker = Number(process.env.CUCUMBER_WORKER_ID ?? '0') || 0;

/** A number unique in this run across workers: worker in the top digits. */
export function nextSerial(): number { return worker * 100_000 + (++counter); }

const B36 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
function base36(n: number, width: number): string {
  let s = '';
  for (let i = 0; i < width; i++) { s = B36[n % 36] + s; n = Math.floor(n / 36); }
  return s;
}

/** 9-character card number: 'M' + 8 base-36 chars from the run and the serial. */
export function cardNumber(serial = nextSerial()): string {
  return 'M' + base36((RUN * 1_000_003 + serial) % 36 ** 8, 8);
}

/** 18-digit ID number (GB 11643) with a valid check character. */
export function idNumber(region: string, birthDate: string, serial = nextSerial()): string {
  const n = (RUN + serial * 7919) % 100_000;
  const body = region.slice(0, 4) + String(Math.floor(n / 1000)).padStart(2, '0') + birthDate.replace(/-/g, '') + String(n % 1000).padStart(3, '0');
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = body.split('').reduce((s, d, i) => s + Number(d) * w[i]!, 0);
  return body + '10X98765432'[sum % 11];
}

export function psnNo(region: string, serial = nextSerial()): string {
  return `${region}${String(RUN).padStart(8, '0')}${String(serial).padStart(7, '0')}`;
}

/** 12-character institution code: H/P + region + 5 digits. */
export function institutionCode(kind: 'hospital' | 'pharmacy' | 'clinic', region: string, serial = nextSerial()): string {
  const n = (RUN * 31 + serial) % 100_000;
  return `${kind === 'pharmacy' ? 'P' : 'H'}${region}${String(n).padStart(5, '0')}`;
}

export function employerNo(region: string, serial = nextSerial()): string {
  return `E${region}${String(RUN).padStart(8, '0')}${String(serial).padStart(6, '0')}`;
}

/** 32 hex digits of card identification code. */
export function cardSn(region: string, serial = nextSerial()): string {
  return (region + 'D156' + String(RUN).padStart(8, '0') + String(serial).padStart(14, '0')).slice(0, 32).toUpperCase();
}

export function catalogueCode(serial = nextSerial()): string {
  return `T${String(RUN).padStart(8, '0')}${String(serial).padStart(7, '0')}`;
}
