// The reference terminal settles with each of the three certificates (mdtrt_cert_type): the
// social security card read on the emulated rig (03), the e-voucher through the local
// e-voucher component (01), the ID card typed at the counter (02); the receipt names the
// certificate, and each message carries it. An expired or unshown e-voucher is refused and
// paid in cash, the ledger unchanged.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadCardProfile } from '../../emulator';
import { createEngine, type Engine } from '../../engine';
import { openRig, type Rig } from '../../rigs';
import { EvoucherClient, type ControlClient, type PlatformClient } from '../../platform';
import { Terminal, type VisitRequest } from '../../terminal';
import { ROOT } from '../rigs/helpers';
import { runTerminal } from '../../cli/terminal';
import { controlOf, institutionClient, testKey } from '../engine/helpers';

const profile = loadCardProfile(path.join(ROOT, 'fixtures/cards/zhang-san.yaml'));
const TODAY = '2024-03-15';
const HOSPITAL = { code: 'H50000000003', name: '重庆市第一人民医院', region: '500000', kind: 'hospital' as const };
const PSN = 'P500000CERT0001';

describe('the reference terminal with the card, the e-voucher and the ID card', { concurrency: false }, () => {
  let engine: Engine;
  let agency: ControlClient;
  let hospital: PlatformClient;
  let rig: Rig;
  /** Every platform message the terminal sent: infno and input. */
  const sent: Array<{ infno: string; input: Record<string, unknown> }> = [];
  const terminal = (clockTime?: string) => new Terminal({
    platform: { call: (infno, input, env) => { sent.push({ infno, input: input as Record<string, unknown> }); return hospital.call(infno as any, input as any, env as any); } },
    institution: HOSPITAL, evoucher: new EvoucherClient({ handle: engine.ecQuery, orgId: HOSPITAL.code }), clockTime,
  });
  const visitOf = (fen: number, extra: Partial<VisitRequest>): VisitRequest => ({ kind: 'outpatient', date: TODAY, items: [{ code: 'A001', name: '普通门诊诊查费', priceFen: fen, count: 1 }], ...extra });
  /** The hospital's business clock and the terminal's messages at `time` of TODAY. */
  const clockAt = async (time: string) => { await agency.setClock([HOSPITAL.code], `${TODAY} ${time}`); hospital.clock.set(`${TODAY} ${time}`); };

  before(async () => {
    engine = await createEngine({ world: 'empty' });
    agency = controlOf(engine, `${TODAY} 09:00:00`);
    hospital = institutionClient({ handle: engine.handle }, HOSPITAL.code, '500000', `${TODAY} 10:00:00`);
    await agency.createEmployer({ emp_no: 'E500001', emp_name: '重庆山城机械有限公司', insuplc_admdvs: '500000' });
    await agency.createInstitution({ fixmedins_code: HOSPITAL.code, fixmedins_name: HOSPITAL.name, admvs: '500000', hosp_lv: 3, fixmedins_type: 'hospital', designated: true, key: testKey(HOSPITAL.code) });
    await clockAt('10:00:00');
    await hospital.signIn();
    await agency.createCatalogueItem({ med_list_codg: 'A001', name: '普通门诊诊查费', cls: 'A' });
    await agency.createPerson({ psn_no: PSN, psn_name: profile.holder.name, certno: profile.holder.idNumber, gend: '1', brdy: '1985-03-12', insutype: '310', insuplc_admdvs: '500000', psn_insu_date: '2015-07-01', emp_no: 'E500001' });
    await agency.openingBalance(PSN, '300.00');
    await agency.issueCard({ card_no: profile.card.number, card_sn: profile.card.identificationCode, psn_no: PSN, issue_date: profile.card.issueDate, expiry_date: profile.card.expiryDate, admvs: '500000' });
    await agency.activateCard(profile.card.number);
    rig = await openRig('emulated');
  });
  after(async () => { await rig?.close(); await engine?.close(); });

  /** The certificate fields of the messages sent since `from`: one pair per message that carries one. */
  const certsSince = (from: number) => sent.slice(from).filter((m) => m.input.mdtrt_cert_type !== undefined).map((m) => `${m.infno}:${m.input.mdtrt_cert_type}`);

  test('the card (03): read on the rig, every message carries its number; the receipt says 社会保障卡', async () => {
    await clockAt('10:00:00');
    const slot = await rig.insertCard(profile);
    const from = sent.length;
    const o = await terminal().visit(visitOf(10_000, { card: { channel: slot.channel, pin: profile.pin.value } }));
    assert.ok(o.settlement, o.refusal?.message);
    // 100.00 below the line, all the person's: the account pays it (300.00 → 200.00).
    assert.deepEqual([o.settlement.account, o.settlement.cash, o.settlement.fund, o.settlement.balance], [10_000, 0, 0, 20_000]);
    assert.deepEqual(certsSince(from), ['1101:03', '2201:03', '2206:03', '2207:03']);
    assert.equal(o.receipt.certificate, '03');
    assert.match(o.receipt.text!, /就诊凭证 Certificate: 社会保障卡 social security card \(03\)/);
  });

  test('the e-voucher (01): the component answers the token of the e-voucher shown, 1101 to 2207 carry it; no card is read', async () => {
    await clockAt('10:00:00');
    await agency.showEvoucher(PSN, HOSPITAL.code);
    const from = sent.length;
    const o = await terminal().visit(visitOf(5_000, { certificate: { type: 'evoucher' } }));
    assert.ok(o.settlement, o.refusal?.message);
    // 50.00 below the line: the account's 200.00 pays it, 150.00 left.
    assert.deepEqual([o.settlement.account, o.settlement.cash, o.settlement.balance], [5_000, 0, 15_000]);
    assert.deepEqual(certsSince(from), ['1101:01', '2201:01', '2206:01', '2207:01']);
    const tokens = new Set(sent.slice(from).filter((m) => m.input.mdtrt_cert_type === '01').map((m) => m.input.mdtrt_cert_no));
    assert.equal(tokens.size, 1);
    assert.match([...tokens][0] as string, /^500000EC[0-9A-F]{32}$/);
    assert.match(o.receipt.text!, /医保电子凭证 e-voucher \(01\)/);
    assert.equal(o.card, undefined);
  });

  test('the ID card (02), typed: 1101 by the ID number, the visit settles; the receipt says 居民身份证', async () => {
    await clockAt('10:00:00');
    const from = sent.length;
    const o = await terminal().visit(visitOf(2_000, { certificate: { type: 'id-card', idNumber: profile.holder.idNumber } }));
    assert.ok(o.settlement, o.refusal?.message);
    assert.deepEqual([o.settlement.account, o.settlement.cash, o.settlement.balance], [2_000, 0, 13_000]);
    assert.deepEqual(certsSince(from), ['1101:02', '2201:02', '2206:02', '2207:02']);
    assert.equal(sent[from].input.mdtrt_cert_no, profile.holder.idNumber);
    assert.match(o.receipt.text!, /居民身份证 ID card \(02\)/);
  });

  test('an e-voucher scanned at 10:00 and used at 10:31 is refused as expired, paid in cash, the ledger unchanged', async () => {
    await clockAt('10:00:00');
    await agency.showEvoucher(PSN, HOSPITAL.code);
    const scanned = await terminal().scanEvoucher();
    await clockAt('10:31:00');
    const before = (await agency.ledgerCheck()).digest;
    const o = await terminal('10:31:00').visit(visitOf(5_000, { certificate: { type: 'evoucher', scanned } }));
    assert.equal(o.refusal?.code, 'evoucher-expired', o.refusal?.message);
    assert.ok(o.cashAdvance);
    assert.equal(o.cashPaidFen, 5_000);
    assert.match(o.receipt.text!, /医保电子凭证 e-voucher \(01\)/);
    assert.equal((await agency.ledgerCheck()).digest, before);
  });

  test('no e-voucher shown: the component answers none, the terminal refuses before any platform message', async () => {
    await clockAt('10:00:00');
    const from = sent.length;
    const o = await terminal().visit(visitOf(5_000, { certificate: { type: 'evoucher' } }));
    assert.equal(o.refusal?.code, 'evoucher-unreadable');
    assert.match(o.refusal!.message, /没有参保人在本机构出示医保电子凭证/);
    assert.equal(sent.length, from);
  });

  test('the program (medcard terminal settle) over HTTP: --certificate evoucher asks the component at the engine, --certificate id-card types the number', async () => {
    const { url } = await engine.listen(0, '127.0.0.1');
    await clockAt('10:00:00');
    const program = async (...extra: string[]) => {
      const lines: string[] = [];
      const log = console.log;
      console.log = (line: string) => { lines.push(line); };
      try {
        assert.equal(await runTerminal(['settle', '--platform', url, '--institution', HOSPITAL.code, '--key', testKey(HOSPITAL.code), '--date', TODAY,
          '--items', JSON.stringify([{ code: 'A001', name: '普通门诊诊查费', price: '10.00' }]), ...extra]), 0);
      } finally {
        console.log = log;
      }
      return JSON.parse(lines[0]) as { outcome: string; message: string; receipt?: Record<string, string> };
    };
    await agency.showEvoucher(PSN, HOSPITAL.code);
    const ec = await program('--certificate', 'evoucher');
    assert.equal(ec.outcome, 'settled', ec.message);
    // The account holds 130.00 by now (300.00 − 100.00 − 50.00 − 20.00): it pays the 10.00 below the line, no cash.
    assert.deepEqual([ec.receipt!.mdtrt_cert_type, ec.receipt!.acct_pay, ec.receipt!.psn_cash_pay], ['01', '10.00', '0.00']);
    const id = await program('--certificate', 'id-card', '--id-number', profile.holder.idNumber);
    assert.deepEqual([id.outcome, id.receipt!.mdtrt_cert_type, id.receipt!.acct_pay], ['settled', '02', '10.00']);
    const none = await program('--certificate', 'evoucher');
    assert.equal(none.outcome, 'refused');
    assert.match(none.message, /未读取到医保电子凭证/);
  });
});
