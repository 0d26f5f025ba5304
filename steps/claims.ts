// When: reimbursement claims at the agency (control op cash-claim) for the last visit a person paid in full
// in cash (visits.ts), with the evidence the claim reason asks for (domain.md §5, §6).
import { fmtFen, type ClaimInput, type FeeLine } from '../platform';
import type { LineItem } from '../terminal';
import { MED_TYPE_OF_VISIT } from '../spec';
import { stepsOf } from './registry';
import { fail } from './said';
import type { MedWorld } from './world';

const step = stepsOf('claims');

function feeLines(items: LineItem[], date: string): FeeLine[] {
  return items.map((it, n) => ({ feedetl_sn: String(n + 1), med_list_codg: it.code, det_item_fee_sumamt: fmtFen(it.priceFen * it.count), cnt: it.count, pric: fmtFen(it.priceFen), fee_ocur_time: `${date} 09:00:00` }));
}

async function claim(w: MedWorld, name: string, evidence: { surgery?: boolean; noReferral?: boolean }): Promise<void> {
  const p = w.person(name);
  const v = p.cashVisits[p.cashVisits.length - 1];
  if (!v) throw fail({ zh: `"${name}" 没有可报销的现金就诊：报销之前要有一次全额现金支付的就诊`, en: `"${name}" has no cash visit to claim: a claim follows a visit paid in full in cash` });
  const invono = `INV${p.psnNo.slice(-10)}${p.cashVisits.length}`;
  // A visit the institution registered (an emergency without the card) is claimed by its mdtrt_id, the rest by invoice.
  const input: ClaimInput = v.mdtrtId ? { psn_no: p.psnNo, reason: v.reason, mdtrt_id: v.mdtrtId } : {
    psn_no: p.psnNo, reason: v.reason, fixmedins_code: v.institution.code, med_type: MED_TYPE_OF_VISIT[v.request.kind],
    begntime: `${v.request.date} 09:00:00`, feedetail: feeLines(v.request.items, v.request.date), invono, invoice_nos: [invono],
  };
  if (evidence.surgery) input.surgery_cert_no = `JS${p.psnNo.slice(-10)}`;
  // domain.md §6: a claim for an unfiled cross-region visit carries the referral with the invoices.
  if (v.reason === 'cross_region_unfiled' && !evidence.noReferral) input.referral_no = `ZZ${p.psnNo.slice(-10)}`;
  const out = await w.control('cash-claim', input);
  w.latest.claim = out;
  w.latest.claimedVisit = v;
  await w.attach(JSON.stringify(out, null, 2), { mediaType: 'application/json', fileName: '报销结果 claim.json' });
}

// ------------------------------------------------------------------ When: claims

step('When', '{string} 向医保经办机构申请报销', '{string} claims reimbursement at the agency', async function (name: string) {
  await claim(this, name, {});
}, { example: { zh: '"小赵" 向医保经办机构申请报销', en: '"Xiao Zhao" claims reimbursement at the agency' } });

step('When', '{string} 向医保经办机构申请报销，但没有转诊证明', '{string} claims reimbursement without the referral', async function (name: string) {
  await claim(this, name, { noReferral: true });
}, { example: { zh: '"张三" 向医保经办机构申请报销，但没有转诊证明', en: '"Zhang San" claims reimbursement without the referral' } });

step('When', '{string} 凭计划生育手术证明申请报销', '{string} claims reimbursement with the surgery certificate', async function (name: string) {
  await claim(this, name, { surgery: true });
}, { example: { zh: '"小赵" 凭计划生育手术证明申请报销', en: '"Xiao Zhao" claims reimbursement with the surgery certificate' } });
