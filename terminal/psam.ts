// The terminal's PSAM slot (card-spec §7; the commands in emulator/README.md "The PSAM"): a
// third-generation card opens its holder data (EF06) only to a terminal whose PSAM answers
// its challenge. The master key stays in the PSAM; the terminal passes bytes between the two.
import { PSAM_DF_NAME, PSAM_TERMINAL_SFI } from '../spec';
import type { CardChannel } from '../rigs';
import { CardSession, swHex } from './card';
import { TerminalRefusal } from './refusal';

/** ISO/IEC 9797-1 method 2 padding of an 8-byte challenge to one SM4 block. */
const PAD = Buffer.from('8000000000000000', 'hex');

export class PsamSession {
  private readonly session: CardSession;
  private terminalNumber: string | undefined;

  constructor(readonly channel: CardChannel) { this.session = new CardSession(channel); }

  /** Power the PSAM, select its application and read the terminal number (12 digits). */
  async open(): Promise<string> {
    try {
      await this.session.powerOn();
    } catch (err) {
      if (err instanceof TerminalRefusal) throw new TerminalRefusal('no-psam', `${this.channel.name}: ${err.zh}`);
      throw err;
    }
    const sel = await this.session.exchange(Uint8Array.from([0x00, 0xa4, 0x04, 0x00, PSAM_DF_NAME.length, ...PSAM_DF_NAME]));
    if (sel.sw !== 0x9000) throw new TerminalRefusal('no-psam', `${this.channel.name}: SELECT PSAM.SSSE ${swHex(sel.sw)}`);
    const tn = await this.session.exchange(Uint8Array.from([0x00, 0xb0, 0x80 | PSAM_TERMINAL_SFI, 0x00, 0x06]));
    if (tn.sw !== 0x9000 || tn.data.length !== 6) throw new TerminalRefusal('no-psam', `${this.channel.name}: READ BINARY terminal number ${swHex(tn.sw)}`);
    this.terminalNumber = tn.data.toString('hex');
    return this.terminalNumber;
  }

  get terminalNo(): string | undefined { return this.terminalNumber; }

  /** The EXTERNAL AUTHENTICATE cryptogram for this card's challenge, computed by the PSAM. */
  async cryptogram(cardIdCode: string, challenge: Buffer): Promise<Buffer> {
    const key = await this.session.exchange(Uint8Array.from([0x80, 0x1a, 0x01, 0x01, 0x10, ...Buffer.from(cardIdCode, 'hex')]));
    if (key.sw === 0x6a88) throw new TerminalRefusal('psam-no-key', 'DELIVERY KEY 6A88');
    if (key.sw !== 0x9000) throw new TerminalRefusal('psam-no-key', `DELIVERY KEY ${swHex(key.sw)}`);
    const c = await this.session.exchange(Uint8Array.from([0x80, 0xfa, 0x00, 0x00, 0x10, ...challenge, ...PAD]));
    if (c.sw !== 0x9000 || c.data.length !== 16) throw new TerminalRefusal('psam-no-key', `CIPHER DATA ${swHex(c.sw)}`);
    return c.data.subarray(0, 8);
  }

  async close(): Promise<void> { await this.session.powerOff().catch(() => undefined); }
}
