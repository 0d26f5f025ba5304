// The msgid store: every answer is kept under its sender and msgid by the transaction's
// last write, which commits with it. A msgid the same sender used before fails that INSERT
// (its primary key): the transaction rolls back and the engine answers with replay(). The
// sender is the institution (fixmedins_code), or CONTROL_SENDER for the control API.
import type { Sql } from './db';
import type { Env } from './context';
import type { Response } from '../platform';

/** The answer's INSERT met a msgid seen before. */
export const isMsgidTaken = (e: unknown): boolean => (e as { code?: string }).code === '23505' && (e as { constraint?: string }).constraint === 'messages_pkey';

/** The control API's calls are kept apart from every institution's msgids. */
export const CONTROL_SENDER = '(control)';

export const INSERT_MESSAGE = `INSERT INTO messages (sender, msgid, infno, req_hash, infcode, response) VALUES ($1,$2,$3,$4,$5,$6)`;
export const messageParams = (env: Env, hash: string, res: Response, text = JSON.stringify(res)): unknown[] => [env.fixmedins_code, env.msgid, env.infno, hash, res.infcode, text];

/** Keep the answer under the msgid, committing with it (the transaction's last statement). */
export async function store(env: Env, hash: string, res: Response, q: Sql): Promise<void> {
  await q.query(INSERT_MESSAGE, messageParams(env, hash, res), { commit: true });
}

/** req_hash of a msgid that 2601 reversed (or took before it arrived): its answer says so, whatever the body. */
export const REVERSED = '(reversed by 2601)';

/** The msgid is taken: the first answer (or a refusal when the body differs: unsigned, as it is not the first answer). */
export async function replay(env: Env, hash: string, q: Sql): Promise<Response> {
  const [first] = await q.query<{ req_hash: string; response: string }>(`SELECT req_hash, response FROM messages WHERE sender = $1 AND msgid = $2`, [env.fixmedins_code, env.msgid]);
  const firstRes = JSON.parse(first!.response) as Response;
  if (first!.req_hash !== hash && first!.req_hash !== REVERSED) {
    return { ...firstRes, infcode: -1, output: null, err_msg: `报文ID msgid=${env.msgid} 已用于另一笔不同内容的交易，不能重复使用`, warn_msg: null, cainfo: null, signtype: null };
  }
  return firstRes;
}
