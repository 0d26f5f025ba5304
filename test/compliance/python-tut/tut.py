#!/usr/bin/env python3
"""A terminal under test written in Python: an outpatient settlement with the social security
card, as terminal/terminal.ts does it, for `medcard certify --terminal <this folder>/python.yaml`.

It reads the card over PC/SC (pyscard), signs in and settles with the platform over HTTP, takes
the PIN from stdin as from a PIN pad, and prints one JSON line at the end:
  {"outcome": "settled" | "refused", "message": "...", "receipt": {...}}
`--fault retry-without-reversal` is its one deliberate bug (python-faulty.yaml): after a lost
settlement answer it sends 2207 again instead of reversing the first with 2601.
"""
import argparse
import hmac
import http.client
import json
import re
import sys
import time
import urllib.parse
from datetime import datetime, timedelta, timezone
from decimal import Decimal

try:
    from smartcard.Exceptions import CardConnectionException, NoCardException
    from smartcard.System import readers
except ImportError:
    sys.exit('tut.py needs pyscard: apt-get install python3-pyscard (and run it with /usr/bin/python3)')

# SELECT by DF name: "sx1.sh." followed by 社会保障 in GBK (card-spec.md §2).
SSSE_AID = b'sx1.sh.' + '社会保障'.encode('gbk')
# (file, tag, length, field) of the records this flow needs (card-spec.md §3).
RECORDS = [('EF05', 0x01, 16, 'card_sn'), ('EF05', 0x03, 4, 'version'), ('EF05', 0x06, 4, 'expiry'), ('EF05', 0x07, 9, 'card_no'),
           ('EF06', 0x08, 18, 'certno'), ('EF06', 0x09, 30, 'name')]
# The terminal's PSAM (card-spec.md §7; its commands in emulator/README.md "The PSAM").
PSAM_NAME = b'PSAM.SSSE'
ISSUING_DEFAULT_PINS = {'123456'}  # "初始密码不能交易": the holder must change it first
ENDPOINT = '/fsi/api/rsfComIfsService/callService'
CHINA_TIME = timezone(timedelta(hours=8))  # msgid times are China Standard Time (platform-api.md §1)


class Refusal(Exception):
    """Why the terminal does not settle, as the operator is told."""


class LostAnswer(Exception):
    """The request went out but no answer came back: the platform may have booked it."""


# ------------------------------------------------------------------ money: integer fen

YUAN = re.compile(r'^(-?)(\d+)(?:\.(\d{1,2}))?$')


def to_fen(value):
    """Yuan on the wire ("120.00", "120.5", or a JSON number read as Decimal, never float) → integer fen; "" is 0."""
    if value is None or value == '':
        return 0
    m = YUAN.match(str(value))
    if not m:
        raise ValueError(f'not an amount of yuan with at most two decimals: {value!r}')
    fen = int(m.group(2)) * 100 + int((m.group(3) or '').ljust(2, '0'))
    return -fen if m.group(1) else fen


def yuan(fen):
    return f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"


# ------------------------------------------------------------------ the card

class Card:
    """One power-on of the card in a PC/SC reader; T=0 replies (61xx, 6Cxx) handled here."""

    def __init__(self, reader_name):
        reader = next((r for r in readers() if str(r) == reader_name), None)
        if reader is None:
            raise Refusal(f'读卡器 {reader_name} 不存在 / no reader named {reader_name}')
        self.connection = reader.createConnection()
        try:
            self.connection.connect()
        except NoCardException:
            raise Refusal(f'未插卡 / no card in the reader {reader_name}')
        except CardConnectionException as err:
            raise Refusal(f'卡片上电无响应 / the card does not answer: {err}')

    def close(self):
        self.connection.disconnect()

    def send(self, apdu):
        try:
            data, sw1, sw2 = self.connection.transmit(list(apdu))
            if sw1 == 0x6C:  # wrong Le: send again with the length the card asks for
                data, sw1, sw2 = self.connection.transmit(list(apdu[:-1]) + [sw2])
            while sw1 == 0x61:  # more data waiting: GET RESPONSE
                more, sw1, sw2 = self.connection.transmit([0x00, 0xC0, 0x00, 0x00, sw2])
                data += more
        except CardConnectionException as err:  # pulled mid-read, or the reader went away
            raise Refusal(f'读卡过程中卡被拔出 / the card was pulled while it was read: {err}')
        return bytes(data), (sw1 << 8) | sw2

    def read(self, psam_reader=None):
        """SELECT SSSE, then each EF and its records; returns the fields as text. A 3.x card opens
        EF06 only after EXTERNAL AUTHENTICATE with the PSAM's cryptogram."""
        _, sw = self.send(bytes([0x00, 0xA4, 0x04, 0x00, len(SSSE_AID)]) + SSSE_AID)
        if sw == 0x6A82:
            raise Refusal('卡类型不正确（非社会保障卡）/ not a social security card')
        if sw in (0x6283, 0x6985):
            raise Refusal('卡片未启用 / the card is not activated')
        if sw != 0x9000:
            raise Refusal(f'读卡失败 / reading the card failed: SELECT SSSE {sw:04X}')
        fields, selected = {}, None
        for file, tag, length, field in RECORDS:
            if file != selected:
                _, sw = self.send(bytes([0x00, 0xA4, 0x02, 0x00, 0x02]) + bytes.fromhex(file))
                if sw != 0x9000:
                    raise Refusal(f'读卡失败 / reading the card failed: SELECT {file} {sw:04X}')
                selected = file
                if file == 'EF06' and fields['version'].startswith(b'3'):
                    self.external_authenticate(fields['card_sn'], psam_reader)
            data, sw = self.send(bytes([0x00, 0xB2, tag, 0x00, length + 2]))
            if sw != 0x9000 or len(data) < 2 or data[0] != tag:
                raise Refusal(f'读卡失败 / reading the card failed: READ RECORD {tag:02X} {sw:04X}')
            fields[field] = data[2:2 + data[1]]
        trim = lambda b: b.rstrip(b'\x00\x20\xff')  # padding readers strip (card-spec.md §3)
        if fields['version'].startswith(b'3'):  # the name extension, record 4E
            data, sw = self.send(bytes([0x00, 0xB2, 0x4E, 0x00, 0x00]))
            if sw == 0x9000 and len(data) >= 2 and data[0] == 0x4E:
                fields['name'] = trim(fields['name']) + data[2:2 + data[1]]
        expiry = fields['expiry'].hex()  # BCD YYYYMMDD
        return {
            'card_sn': fields['card_sn'].hex().upper(),
            'expiry': f'{expiry[:4]}-{expiry[4:6]}-{expiry[6:8]}',
            'card_no': trim(fields['card_no']).decode('latin1'),
            'certno': trim(fields['certno']).decode('latin1'),
            'name': trim(fields['name']).decode('gbk'),
        }

    def external_authenticate(self, card_sn, psam_reader):
        if not psam_reader:
            raise Refusal('未检测到PSAM卡 / no PSAM: a third-generation card is read only after external authentication')
        psam = Card(psam_reader)
        try:
            _, sw = psam.send(bytes([0x00, 0xA4, 0x04, 0x00, len(PSAM_NAME)]) + PSAM_NAME)
            if sw != 0x9000:
                raise Refusal(f'未检测到PSAM卡 / no PSAM in {psam_reader}: SELECT {sw:04X}')
            _, sw = psam.send(bytes([0x80, 0x1A, 0x01, 0x01, 0x10]) + card_sn)
            if sw != 0x9000:
                raise Refusal(f'PSAM卡无此卡的认证密钥 / the PSAM has no key for this card: {sw:04X}')
            challenge, sw = self.send(bytes([0x00, 0x84, 0x00, 0x00, 0x08]))
            cryptogram, sw2 = psam.send(bytes([0x80, 0xFA, 0x00, 0x00, 0x10]) + challenge + b'\x80' + bytes(7))
            if sw != 0x9000 or sw2 != 0x9000:
                raise Refusal(f'读卡失败 / reading the card failed: GET CHALLENGE {sw:04X}, CIPHER DATA {sw2:04X}')
            _, sw = self.send(bytes([0x00, 0x82, 0x00, 0x01, 0x08]) + cryptogram[:8])
            if sw != 0x9000:
                raise Refusal(f'外部认证失败 / external authentication failed: {sw:04X}')
        finally:
            psam.close()

    def verify_pin(self, pin):
        if not re.fullmatch(r'\d{6}', pin or ''):
            raise Refusal('密码错误：密码为 6 位数字 / wrong PIN: it has 6 digits')
        _, sw = self.send(bytes([0x00, 0x20, 0x00, 0x00, 0x03]) + bytes.fromhex(pin))
        if sw == 0x9000:
            return
        if sw in (0x63C0, 0x6983):
            raise Refusal('密码已锁定 / the PIN is locked')
        if sw & 0xFFF0 == 0x63C0:
            raise Refusal(f'密码错误，剩余 {sw & 0xF} 次 / wrong PIN, {sw & 0xF} tries left')
        raise Refusal(f'读卡失败 / reading the card failed: VERIFY {sw:04X}')


# ------------------------------------------------------------------ the platform

class Platform:
    """The platform's one endpoint: signed envelopes (platform/signature.ts), answers in fen-safe Decimal."""

    def __init__(self, args):
        self.url = urllib.parse.urlsplit(args.platform if '/fsi/' in args.platform else args.platform.rstrip('/') + ENDPOINT)
        self.args = args
        self.sign_no = None
        self.last_serial = ''

    def serial(self):
        """yyyyMMddHHmmss + 4 digits, the tenth of a millisecond within that second: increasing
        within a run and never repeated across runs of this terminal (they do not overlap)."""
        while True:
            now = time.time()
            stamp = datetime.fromtimestamp(now, CHINA_TIME).strftime('%Y%m%d%H%M%S') + f'{int(now % 1 * 10000):04d}'
            if stamp > self.last_serial:
                self.last_serial = stamp
                return stamp
            time.sleep(0.0001)

    def msgid(self):
        return self.args.institution + self.serial()

    def sign(self, envelope):
        # The canonical text: every field but cainfo, keys sorted at every depth, no whitespace.
        text = json.dumps({k: v for k, v in envelope.items() if k != 'cainfo'}, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
        return hmac.new(self.args.key.encode(), text.encode('utf-8'), self.args.sign_type.lower()).hexdigest()

    def call(self, infno, body, insured_region=None, msgid=None):
        """Send one transaction; its output, or Refusal (infcode ≠ 0), or LostAnswer (no answer)."""
        envelope = {
            'infno': infno, 'msgid': msgid or self.msgid(), 'mdtrtarea_admvs': self.args.region, 'recer_sys_code': 'MEDCARD',
            'dev_no': '', 'dev_safe_info': '', 'signtype': self.args.sign_type, 'infver': 'V1.0',
            'opter_type': '1', 'opter': '0001', 'opter_name': '收费员', 'inf_time': f'{self.args.date} 10:00:00',
            'fixmedins_code': self.args.institution, 'fixmedins_name': self.args.institution_name, 'input': body,
        }
        if insured_region:
            envelope['insuplc_admdvs'] = insured_region
        if self.sign_no:
            envelope['sign_no'] = self.sign_no
        envelope['cainfo'] = self.sign(envelope)
        connection = http.client.HTTPConnection(self.url.hostname, self.url.port or 80, timeout=30)
        try:
            connection.request('POST', self.url.path, json.dumps(envelope, ensure_ascii=False).encode('utf-8'),
                               {'content-type': 'application/json; charset=utf-8'})
            answer = json.loads(connection.getresponse().read().decode('utf-8'), parse_float=Decimal)
        except (OSError, http.client.HTTPException) as err:
            raise LostAnswer(f'{infno}: {err}') from err
        finally:
            connection.close()
        if answer.get('infcode') != 0:
            raise Refusal(answer.get('err_msg') or f'医保平台拒绝交易 / the platform refused {infno}')
        return answer.get('output') or {}


# ------------------------------------------------------------------ the settlement

def settle(args, pin):
    platform = Platform(args)
    try:
        platform.sign_no = platform.call('9001', {})['signinoutb']['sign_no']
    except Refusal as err:
        raise Refusal(f'签到失败 / sign-in refused: {err}')
    card = read_card(args, pin)
    cert = {'mdtrt_cert_type': '03', 'mdtrt_cert_no': card['card_no'], 'card_sn': card['card_sn']}
    begntime = f'{args.date} 09:00:00'
    found = platform.call('1101', {**cert, 'certno': card['certno'], 'psn_name': card['name'], 'begntime': f'{args.date} 10:00:00'})
    psn_no = found['baseinfo']['psn_no']
    insured = (found.get('insuinfo') or [{}])[0]
    insutype, region = insured.get('insutype', '310'), insured.get('insuplc_admdvs', '')
    registered = platform.call('2201', {'psn_no': psn_no, 'insutype': insutype, 'begntime': begntime, 'ipt_otp_no': f'OTP{platform.serial()}',
                                        **cert, 'emergency_flag': '0'}, region)
    mdtrt_id = registered['data']['mdtrt_id']
    med_type = '41' if args.kind == 'pharmacy' else '11'
    platform.call('2203', {'mdtrt_id': mdtrt_id, 'psn_no': psn_no, 'med_type': med_type, 'begntime': begntime}, region)
    lines = [{'feedetl_sn': str(n), 'mdtrt_id': mdtrt_id, 'psn_no': psn_no, 'med_list_codg': item['code'], 'medins_list_codg': item['code'],
              'det_item_fee_sumamt': yuan(item['fen'] * item['count']), 'cnt': item['count'], 'pric': yuan(item['fen']), 'fee_ocur_time': begntime}
             for n, item in enumerate(args.items, 1)]
    platform.call('2204', {'feedetail': lines}, region)
    total = sum(item['fen'] * item['count'] for item in args.items)
    order = {'psn_no': psn_no, **cert, 'med_type': med_type, 'medfee_sumamt': yuan(total), 'mdtrt_id': mdtrt_id,
             'acct_used_flag': '1' if args.account == '1' else '0', 'insutype': insutype}
    platform.call('2206', order, region)
    s = settle_once(platform, order, psn_no, region, args.fault)['setlinfo']
    return {'setl_id': s['setl_id'], **{k: yuan(to_fen(s.get(k))) for k in ('medfee_sumamt', 'hifp_pay', 'acct_pay', 'psn_cash_pay', 'balc')}}


def read_card(args, pin):
    """Read the card, refuse an expired or lent card, verify the PIN when the account pays."""
    card = Card(args.reader)
    try:
        data = card.read(args.psam_reader)
        if data['expiry'] < args.date:
            raise Refusal(f"卡片已过有效期：有效期至 {data['expiry']} / the card expired on {data['expiry']}")
        if (args.presented_id and args.presented_id != data['certno']) or (not args.presented_id and args.presented_name and args.presented_name != data['name']):
            raise Refusal(f"持卡人与就诊人不符，社保卡不得出借：卡上 {data['name']}，就诊人 {args.presented_name} / the card is not the presenter's")
        if args.account == '1':
            card.verify_pin(pin)
            if pin in ISSUING_DEFAULT_PINS:
                raise Refusal('初始密码不能交易 / the issuing default PIN may not be used; change it first')
        return data
    finally:
        card.close()


def settle_once(platform, order, psn_no, region, fault):
    """2207 safe against a lost answer (platform-api.md §3a): the platform may have booked it, so
    2601 undoes what that msgid booked, then 2207 goes again under a new msgid."""
    msgid = platform.msgid()
    try:
        return platform.call('2207', order, region, msgid=msgid)
    except LostAnswer:
        if fault != 'retry-without-reversal':
            platform.call('2601', {'psn_no': psn_no, 'omsgid': msgid, 'oinfno': '2207'}, region)
        return platform.call('2207', order, region)


def parse_items(text):
    try:
        items = json.loads(text)
        return [{'code': i['code'], 'fen': to_fen(i['price']), 'count': int(i.get('count', 1))} for i in items]
    except (ValueError, KeyError, TypeError) as err:
        raise argparse.ArgumentTypeError(f'--items: a JSON list of {{"code", "price" (yuan), "count"}}: {err}')


def main():
    p = argparse.ArgumentParser(description='A terminal under test in Python: settles an outpatient visit with the card. PIN on stdin.')
    p.add_argument('action', choices=['settle'])
    for name in ('--reader', '--platform', '--institution', '--key', '--date'):
        p.add_argument(name, required=True)
    p.add_argument('--institution-name', default='')
    p.add_argument('--psam-reader', default='', help="the reader holding the terminal's PSAM (third-generation cards)")
    p.add_argument('--region', default='500000')
    p.add_argument('--sign-type', choices=['SM3', 'SHA256'], default='SM3')
    p.add_argument('--kind', choices=['outpatient', 'pharmacy'], default='outpatient')
    p.add_argument('--items', type=parse_items, default=[])
    p.add_argument('--presented-name')
    p.add_argument('--presented-id')
    p.add_argument('--account', choices=['0', '1'], default='1', help='1: the personal account pays (the PIN is verified)')
    p.add_argument('--fault', choices=['retry-without-reversal'], help='the one deliberate bug (python-faulty.yaml)')
    args = p.parse_args()
    pin = sys.stdin.readline().strip()
    try:
        receipt = settle(args, pin)
        report = {'outcome': 'settled', 'message': '结算成功 / settled', 'receipt': receipt}
    except Refusal as err:
        report = {'outcome': 'refused', 'message': str(err)}
    except LostAnswer as err:
        report = {'outcome': 'refused', 'message': f'网络异常，未结算 / no answer from the platform, not settled: {err}'}
    print(json.dumps(report, ensure_ascii=False))


if __name__ == '__main__':
    main()
