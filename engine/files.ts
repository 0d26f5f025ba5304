// The platform's files: 9101 upload (answers a file_qury_no), 9102 download (the bytes, to
// their owner only, until dld_endtime). Catalogue downloads (13xx) and the 3202 result keep
// their files here too. A file is a row of `files`; nothing is ever read from disk by name.
import { formatBizTime, parseBizTime } from '../platform';
import { type Ctx, type Handler, nextId, show } from './context';
import { BizError, req, str, any, CODE } from './validate';

/** The largest file an institution may upload, or the engine keep: well inside the 1 MiB HTTP body once in base64. */
const MAX_FILE_BYTES = 512 * 1024;
/** How long a file may be downloaded after it was made (the platform's dld_endtime). */
const KEPT_MS = 24 * 3600 * 1000;
/** The owner 9102 names for files the platform made (13xx): public HIS code sends "plc" there. */
const PLATFORM_FILES = 'plc';

export interface KeptFile { file_qury_no: string; filename: string; dld_endtime: string }

/** Keep a file for the sender, downloadable by it alone until dld_endtime. */
export async function keepFile(ctx: Ctx, filename: string, kind: 'upload' | 'catalogue' | 'reconcile', bytes: Buffer): Promise<KeptFile> {
  if (bytes.length > MAX_FILE_BYTES) throw new BizError(`文件 ${show(filename)} 超过 ${MAX_FILE_BYTES} 字节，不予受理`);
  const fileQuryNo = await nextId(ctx.q, 'FQ', ctx.date);
  const dldEndtime = formatBizTime(new Date(parseBizTime(ctx.time).getTime() + KEPT_MS));
  await ctx.q.query(`INSERT INTO files (file_qury_no, owner, filename, kind, size, content, created, dld_endtime) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
    [fileQuryNo, ctx.env.fixmedins_code, filename, kind, bytes.length, bytes.toString('base64'), ctx.time, dldEndtime]);
  return { file_qury_no: fileQuryNo, filename, dld_endtime: dldEndtime };
}

/** A file of the sender's, by its file_qury_no; another institution's is "not found", so ids cannot be probed. */
export async function ownFile(ctx: Ctx, fileQuryNo: string, field: string): Promise<{ filename: string; kind: string; bytes: Buffer; dld_endtime: string }> {
  const [f] = await ctx.q.query<{ filename: string; kind: string; content: string; dld_endtime: string }>(
    `SELECT filename, kind, content, dld_endtime FROM files WHERE file_qury_no = $1 AND owner = $2`, [fileQuryNo, ctx.env.fixmedins_code]);
  if (!f) throw new BizError(`${field}（文件查询号）${show(fileQuryNo)} 不存在`);
  if (ctx.time > f.dld_endtime) throw new BizError(`${field}（文件查询号）${fileQuryNo} 已过下载截止时间 ${f.dld_endtime}`);
  return { filename: f.filename, kind: f.kind, bytes: Buffer.from(f.content, 'base64'), dld_endtime: f.dld_endtime };
}

/** input.fixmedins_code names the sender (or, in 9102, "plc" for the platform's own files): never another institution. */
function sameSender(ctx: Ctx, code: unknown, platformToo: boolean): void {
  if (code === ctx.env.fixmedins_code || (platformToo && code === PLATFORM_FILES)) return;
  throw new BizError(`input.fixmedins_code（医药机构编号）${show(code)} 与报文 fixmedins_code=${ctx.env.fixmedins_code} 不符${platformToo ? `（平台生成的文件可填 ${PLATFORM_FILES}）` : ''}`);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** 9101's `in`: the bytes as HIS send them — base64 text (a C# or Java byte[] in JSON) or an array of byte values. */
function fileBytes(v: unknown): Buffer {
  const name = 'input.in（文件数据）';
  let bytes: Buffer;
  if (typeof v === 'string') {
    if (v.length > Math.ceil(MAX_FILE_BYTES / 3) * 4) throw new BizError(`${name} 超过 ${MAX_FILE_BYTES} 字节，不予受理`);
    if (!BASE64.test(v)) throw new BizError(`${name} 应为 base64 编码的文件内容，或字节数组`);
    bytes = Buffer.from(v, 'base64');
  } else if (Array.isArray(v)) {
    if (v.length > MAX_FILE_BYTES) throw new BizError(`${name} 超过 ${MAX_FILE_BYTES} 字节，不予受理`);
    if (!v.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) throw new BizError(`${name} 字节数组的每一项应为 0–255 的整数`);
    bytes = Buffer.from(v as number[]);
  } else throw new BizError(`${name} 应为 base64 编码的文件内容，或字节数组`);
  if (!bytes.length) throw new BizError(`${name} 文件为空`);
  return bytes;
}

const FILENAME = (label: string) => req(str(label, 200));
const FIXMEDINS = () => req(str('医药机构编号', 30, { re: CODE, what: '字母数字' }));

const upload: Handler = {
  platform: true, wrap: 'fsUploadIn',
  spec: { in: { ...any('文件数据'), req: true }, filename: FILENAME('文件名'), fixmedins_code: FIXMEDINS() },
  async run(ctx, input) {
    sameSender(ctx, input.fixmedins_code, false);
    return keepFile(ctx, String(input.filename), 'upload', fileBytes(input.in));
  },
};

const download: Handler = {
  platform: true, wrap: 'fsDownloadIn',
  spec: { file_qury_no: req(str('文件查询号', 40, { re: CODE, what: '字母数字' })), filename: FILENAME('文件名'), fixmedins_code: FIXMEDINS() },
  async run(ctx, input) {
    sameSender(ctx, input.fixmedins_code, true);
    const f = await ownFile(ctx, String(input.file_qury_no), 'input.file_qury_no');
    if (input.filename !== f.filename && input.filename !== PLATFORM_FILES) {
      throw new BizError(`input.filename（文件名）${show(input.filename)} 与文件查询号 ${input.file_qury_no} 的文件 ${f.filename} 不符`);
    }
    return { file_qury_no: input.file_qury_no, filename: f.filename, dld_endtime: f.dld_endtime, size: f.bytes.length, content: f.bytes.toString('base64') };
  },
};

export const FILES: Record<string, Handler> = { '9101': upload, '9102': download };
