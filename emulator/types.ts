// Public types of the card emulator (see ../shared/card-spec.md). The card OS knows
// nothing of transport: rigs feed it APDUs and take responses.

/** A card profile, as loaded from fixtures/cards/<name>.yaml. Dates are 'YYYY-MM-DD'. */
export interface CardProfile {
  /** File stem, e.g. 'zhang-san'. */
  id: string;
  /** What the card is for in the scenarios (free text). */
  description?: string;
  /** The file it was loaded from, when loaded from a file. */
  source?: string;
  holder: {
    name: string;          // 姓名, encoded GBK on the card
    idNumber: string;      // 社会保障号码 (18 chars)
    sex: '1' | '2';        // 1 male, 2 female
    nation: string;        // 2 digits, '01' Han
    birthplace: string;    // region code digits, BCD, FF padded to 3 bytes
    birthDate: string;     // YYYY-MM-DD
  };
  card: {
    number: string;              // 卡号, 9 ASCII chars
    identificationCode: string;  // 卡识别码, 32 hex digits
    type: string;                // 卡类别, 1 byte code as 2 hex digits
    specVersion: string;         // e.g. '2.00'; '3.00' on a third-generation card
    issuerCode: string;          // 初始化机构编号, 24 hex digits (12 bytes)
    issueDate: string;
    expiryDate: string;
    region: string;              // issuing region, 6 digits
  };
  pin: {
    value: string;       // 6 digits
    tries: number;       // retry counter maximum (default 3)
    isInitial: boolean;  // the issuing default PIN: terminals must refuse transactions
  };
  atr: string;           // hex, upper case, no spaces
  activated: boolean;
  auth: { algorithm: 'SM4' | '3DES'; key: string }; // INTERNAL AUTHENTICATE test key, hex
  /** Transport protocol the card behaves as (default 'T=0': 61xx/6Cxx). */
  protocol?: 'T=0' | 'T=1';
  /** Card number of the card this one replaces (a replacement after a loss). */
  replaces?: string;
  /** The holder reported this card lost (the platform, not the card, refuses it). */
  reportedLost?: boolean;
  /** Card generation (default 2). 3: the third-generation card of card-spec §7, see `gen3`. */
  generation?: 2 | 3;
  /** Third-generation features; present exactly when generation is 3. */
  gen3?: Gen3Spec;
  /** Optional extra files and access rules (card-spec §2: "behind profile flags"). */
  files?: {
    /** EFs whose READ RECORD needs the PIN verified first (69 82 otherwise). */
    readNeedsPin?: Array<'EF05' | 'EF06'>;
    /** Transparent EFs, read with READ BINARY. */
    binary?: BinaryFileSpec[];
  };
}

/** The third-generation card's additions (card-spec §7). */
export interface Gen3Spec {
  /** 姓名扩展, EF06 record 4E (GBK, 0x00 padded to 40 bytes); '' when the name fits record 09. */
  nameExtension: string;
  /** Algorithm indicator, tag 9F0C in the SSSE FCI: 2 hex digits (default '01'). */
  algorithm: string;
  /** 'required': EF06 answers 69 82 until EXTERNAL AUTHENTICATE succeeds; 'off': readable at once. */
  externalAuth: 'required' | 'off';
  /** Master key (RKSSSE, hex, 16 bytes) the card's external-authentication key is diversified from. */
  masterKey: string;
  /** EXTERNAL AUTHENTICATE attempts before the key locks (63 Cx, then 69 83). */
  externalAuthTries: number;
  /** ATR of the contactless presentation (hex). */
  contactlessAtr: string;
  /** 银行卡号 of the bank application (PPSE + UnionPay AID), digits; absent: no bank application. */
  bankNumber?: string;
}

export interface BinaryFileSpec {
  /** Trace label, e.g. 'PHOTO'. */
  label: string;
  /** File identifier, 4 hex digits, e.g. 'EF08'. */
  fid: string;
  /** Short file identifier 1–30, optional. */
  sfi?: number;
  /** Parent DF. */
  parent: 'MF' | 'SSSE';
  /** Content, hex. */
  data: string;
  readNeedsPin?: boolean;
}

/** One command/response pair as the card (or a channel) saw it, decoded for reports. */
export interface TraceEntry {
  time: string;         // ISO 8601
  command: string;      // hex, upper case, no spaces; PIN digits replaced by '*'
  response: string;     // hex
  name: string;         // 'SELECT', 'READ RECORD', ... or 'UNKNOWN'
  detail: string;       // e.g. 'SSSE', 'EF05 record 07', 'PIN (6 digits hidden)'
  sw: string;           // 4 hex digits
  swMeaning: string;    // e.g. '正常 / OK', '密码错误，还可尝试2次 / wrong PIN, 2 tries left'
}

/**
 * An emulated PSAM, the terminal's secure access module (card-spec §7), as loaded from
 * fixtures/psam/<name>.yaml: a second card in a second reader that holds the RKSSSE master
 * key and answers what a terminal needs for a third-generation card's external authentication.
 */
export interface PsamProfile {
  /** File stem, e.g. 'test-psam'. */
  id: string;
  description?: string;
  source?: string;
  /** 终端机编号: 12 digits, READ BINARY of SFI 16 (6 bytes BCD); the reader line's field 10. */
  terminalNumber: string;
  /** RKSSSE master key (hex, 16 bytes): card keys are diversified from it by card identification code. */
  masterKey: string;
  /** hex, upper case, no spaces. */
  atr: string;
}
