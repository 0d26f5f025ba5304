// The zip files of the platform's file transactions (9101/9102, 13xx, 3202): one or more
// entries, deflated, names in UTF-8 — written and read here with node:zlib, so the engine
// needs no zip package. Only what such files use: no encryption, no zip64, no spanning.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { BizError } from './validate';

export interface ZipEntry { name: string; data: Buffer }

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const UTF8_NAMES = 0x0800; // general purpose flag bit 11: the names are UTF-8
const DEFLATE = 8;
// Made on Unix, zip 2.0: Info-ZIP's unzip then takes the names as they are (UTF-8), not as
// the DOS code page it assumes for archives made on MS-DOS.
const MADE_BY_UNIX = (3 << 8) | 20;
const STORED = 0;
// 1980-01-01 00:00 in MS-DOS time and date: the files carry no meaningful time.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/** A zip of the entries, each deflated. */
export function writeZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const packed = deflateRawSync(e.data);
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(DEFLATE, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, packed);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(MADE_BY_UNIX, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(UTF8_NAMES, 8);
    central.writeUInt16LE(DEFLATE, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/**
 * The entries of a zip (stored or deflated), each checked against its CRC. `maxBytes`
 * bounds what the entries may unpack to, all together: a small upload cannot unpack into
 * gigabytes. `what` names the file in the refusals.
 */
export function readZip(zip: Buffer, maxBytes: number, what: string): ZipEntry[] {
  const bad = (why: string) => new BizError(`${what} 不是有效的 zip 文件：${why}`);
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) { end = i; break; }
  }
  if (end < 0) throw bad('找不到目录结尾');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  let total = 0;
  for (let n = 0; n < count; n++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== 0x02014b50) throw bad('目录项损坏');
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const packedSize = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLen = zip.readUInt16LE(at + 28);
    const skip = nameLen + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLen).toString(flags & UTF8_NAMES ? 'utf8' : 'latin1');
    at += 46 + skip;
    if (flags & 1) throw bad(`${name} 已加密`);
    if (local + 30 > zip.length || zip.readUInt32LE(local) !== 0x04034b50) throw bad(`${name} 的本地文件头损坏`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    if (start + packedSize > zip.length) throw bad(`${name} 的数据不完整`);
    total += size;
    if (total > maxBytes) throw new BizError(`${what} 解压后超过 ${maxBytes} 字节，不予受理`);
    const packed = zip.subarray(start, start + packedSize);
    let data: Buffer;
    if (method === STORED) data = Buffer.from(packed);
    else if (method === DEFLATE) {
      try { data = inflateRawSync(packed, { maxOutputLength: Math.max(1, size) }); } catch { throw bad(`${name} 无法解压`); }
    } else throw bad(`${name} 的压缩方式 ${method} 不受支持（应为 deflate）`);
    if (data.length !== size || crc32(data) !== crc) throw bad(`${name} 校验失败（CRC 或长度不符）`);
    entries.push({ name, data });
  }
  return entries;
}
