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
    specVersion: string;         // e.g. '3.00'
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
  /** Optional extra files and access rules (card-spec §2: "behind profile flags"). */
  files?: {
    /** EFs whose READ RECORD needs the PIN verified first (69 82 otherwise). */
    readNeedsPin?: Array<'EF05' | 'EF06'>;
    /** Transparent EFs, read with READ BINARY. */
    binary?: BinaryFileSpec[];
  };
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
