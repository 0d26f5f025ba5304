// Unique people, card numbers and institution codes per scenario, so scenarios sharing one
// engine per worker never see each other's data (and a reused PostgreSQL never collides).
// Every number comes from the worker's RUN number and a counter. RUN comes from a seed:
// random in each worker process, or MEDCARD_SEED=<n> to get the same numbers again (same
// features, same worker; on a reused PostgreSQL the same numbers collide, so use a fresh one).
// The seed is logged in each worker's first scenario and in every failed one (steps/support.ts).
import { createHash, randomBytes } from 'node:crypto';
import { makeCardNumber, makeCardSn, makeIdNumber } from '../spec';
import { fail, said } from './said';

const worker = Number(process.env.CUCUMBER_WORKER_ID ?? '0') || 0;

function seedFromEnv(text = process.env.MEDCARD_SEED): number {
  if (text === undefined || text === '') return randomBytes(3).readUIntBE(0, 3); // 0..16M, different each run
  if (!/^\d{1,15}$/.test(text.trim())) throw fail({ zh: `MEDCARD_SEED 应为整数（运行日志中 "MEDCARD_SEED=<n>" 的那个数），而不是 "${text}"`, en: `MEDCARD_SEED must be a whole number (the seed a run logs as "MEDCARD_SEED=<n>"), not "${text}"` });
  return Number(text.trim());
}

/** This process's seed: MEDCARD_SEED, or random. */
export const SEED = seedFromEnv();

/** The run number, 0..16M: from the seed and the worker, so workers given one MEDCARD_SEED still differ. */
const RUN = createHash('sha256').update(`medcard-ids ${SEED} ${worker}`).digest().readUIntBE(0, 3);
let counter = 0;

/** The line a scenario logs so its numbers can be made again. */
export function seedLine(): string {
  return said({ zh: `编号：MEDCARD_SEED=${SEED}（worker ${worker}）可重现本次运行的人员、卡和机构编号`, en: `ids: MEDCARD_SEED=${SEED} (worker ${worker}) makes this run's person, card and institution numbers again` });
}

/** A number unique in this run across workers: worker in the top digits. */
export function nextSerial(): number { return worker * 100_000 + (++counter); }

/** 9-character card number, from the run and the serial. */
export function cardNumber(serial = nextSerial()): string {
  return makeCardNumber(RUN * 1_000_003 + serial);
}

/** 18-digit ID number (GB 11643) with a valid check character. */
export function idNumber(region: string, birthDate: string, serial = nextSerial()): string {
  // The area's last two digits vary with the serial too, so 100,000 people of one region and birth date get distinct numbers.
  const n = (RUN + serial * 7919) % 100_000;
  return makeIdNumber(region.slice(0, 4) + String(Math.floor(n / 1000)).padStart(2, '0'), birthDate, n % 1000);
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
  return makeCardSn(region, String(RUN).padStart(8, '0') + String(serial).padStart(14, '0'));
}

export function catalogueCode(serial = nextSerial()): string {
  return `T${String(RUN).padStart(8, '0')}${String(serial).padStart(7, '0')}`;
}
