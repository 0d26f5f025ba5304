// The msgid store: every answer is kept under its msgid in the same transaction as the
// booking; a msgid seen before aborts the transaction with the first answer.
import type { Sql } from './db';
import type { Env } from './context';
import type { Response } from './client/types';

export class Replayed extends Error { constructor(readonly response: Response) { super('replayed'); } }

/** The answer's INSERT (which commits with it) met a msgid seen before: roll back and replay(). */
export class MsgidTaken extends Error { constructor() { super('msgid taken'); } }
export const isMsgidTaken = (e: unknown): boolean => (e as { code?: string }).code === '23505' && (e as { constraint?: string }).constraint === 'messages_pkey';

export const INSERT_MESSAGE = `INSERT INTO messages (msgid, infno, req_hash, infcode, response) VALUES ($1,$2,$3,$4,$5)`;
export const messageParams = (env: Env, hash: string, res: Response, text = JSON.stringify(res)): unknown[] => [env.msgid, env.infno, hash, res.infcode, text];

/**
 * Keep the answer under the msgid, committing with it (the transaction's last statement).
 * A msgid seen before throws MsgidTaken: the engine rolls back and answers with replay().
 */
export async function store(env: Env, hash: string, res: Response, q: Sql): Promise<void> {
  await q.query(INSERT_MESSAGE, messageParams(env, hash, res), { commit: true })
    .catch((e: unknown) => { throw isMsgidTaken(e) ? new MsgidTaken() : e; });
}

/** The msgid is taken: throw the first answer (or a refusal when the body differs). */
export async function replay(env: Env, hash: string, q: Sql): Promise<never> {
  const [first] = await q.query<{ req_hash: string; response: unknown }>(`SELECT req_hash, response FROM messages WHERE msgid = $1`, [env.msgid]);
  const firstRes = (typeof first.response === 'string' ? JSON.parse(first.response) : first.response) as Response;
  if (first.req_hash !== hash) {
    throw new Replayed({ ...firstRes, infcode: -1, output: null, err_msg: `报文ID msgid=${env.msgid} 已用于另一笔不同内容的交易，不能重复使用`, warn_msg: null });
  }
  throw new Replayed(firstRes);
}
