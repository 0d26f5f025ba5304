// What the reference terminal refuses, and why. The codes are stable (steps and reports
// name them); the Chinese texts mirror the reader-side messages of vendor code
// (card-spec.md §4) and the platform's refusals (platform-api.md, domain.md §5–§7).

export const REFUSALS = {
  'no-card':            { zh: '未插卡', en: 'no card in the reader' },
  'card-silent':        { zh: '卡片上电无响应', en: 'the card is powered but does not answer' },
  'card-removed':       { zh: '读卡过程中卡被拔出', en: 'the card was pulled while it was being read' },
  'wrong-card-type':    { zh: '卡类型不正确（非社会保障卡）', en: 'wrong card type: not a social security card' },
  'card-read-failed':   { zh: '读卡失败', en: 'reading the card failed' },
  'no-psam':            { zh: '未检测到PSAM卡，无法读取第三代社保卡', en: 'no PSAM in the terminal: a third-generation card is read only after external authentication through it' },
  'psam-no-key':        { zh: 'PSAM卡无此卡的认证密钥', en: 'the PSAM holds no key for this card' },
  'external-auth-failed': { zh: '外部认证失败，终端无权读取此卡', en: 'external authentication failed: the card does not accept this terminal' },
  'not-genuine':        { zh: '内部认证失败，卡片非法', en: 'internal authentication failed: the card is not genuine' },
  'card-not-activated': { zh: '卡片未启用', en: 'the card is not activated' },
  'card-expired':       { zh: '卡片已过有效期', en: 'the card has expired' },
  'pin-wrong':          { zh: '密码错误', en: 'wrong PIN' },
  'pin-locked':         { zh: '密码已锁定', en: 'the PIN is locked' },
  'pin-initial':        { zh: '初始密码不能交易', en: 'the issuing default PIN may not be used for transactions; change it first' },
  'holder-mismatch':    { zh: '持卡人与就诊人不符，社保卡不得出借', en: 'the person presenting the card is not its holder; cards may not be lent' },
  'card-blocked':       { zh: '卡已挂失或注销', en: 'the card is reported lost or cancelled' },
  'not-insured':        { zh: '参保状态异常', en: 'the person is not insured (or suspended)' },
  'employer-arrears':   { zh: '单位欠费，暂停医保待遇', en: 'the employer is in arrears: benefits suspended' },
  'cross-region-unfiled': { zh: '未办理异地就医备案', en: 'cross-region visit without a filing' },
  'not-designated':     { zh: '非定点医药机构，不能刷卡结算', en: 'not a designated institution: the card cannot settle here' },
  'cash-withdrawal':    { zh: '个人账户资金不能提取现金或转账', en: 'the personal account cannot be withdrawn as cash or transferred' },
  'evoucher-unreadable': { zh: '未读取到医保电子凭证', en: 'no medical insurance e-voucher could be read' },
  'evoucher-expired':   { zh: '医保电子凭证已过期，请重新出示', en: 'the e-voucher has expired: show it again' },
  'platform-refused':   { zh: '医保平台拒绝交易', en: 'the insurance platform refused the transaction' },
} as const;

export type RefusalCode = keyof typeof REFUSALS;

export class TerminalRefusal extends Error {
  readonly zh: string;
  readonly en: string;
  constructor(readonly code: RefusalCode, readonly detail = '', readonly triesLeft?: number) {
    const r = REFUSALS[code];
    const tries = triesLeft !== undefined ? `，剩余 ${triesLeft} 次 / ${triesLeft} tries left` : '';
    super(`${r.zh}${tries}${detail ? `：${detail}` : ''} (${r.en})`);
    this.name = 'TerminalRefusal';
    this.zh = r.zh;
    this.en = r.en;
  }
}

/** Find a refusal code by its code, its Chinese or its English text (for steps written by analysts). */
export function refusalByText(text: string): RefusalCode | undefined {
  const t = text.trim();
  const all = Object.entries(REFUSALS) as [RefusalCode, { zh: string; en: string }][];
  const exact = all.find(([code, r]) => code === t || r.zh === t || r.en.toLowerCase() === t.toLowerCase());
  if (exact) return exact[0];
  return all.find(([, r]) => r.zh.includes(t) || r.en.toLowerCase().includes(t.toLowerCase()))?.[0];
}
