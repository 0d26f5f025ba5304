// spec: what the national standards fix and every other part shares — the identifiers
// (card number, card identification code, ID number, person number, region code,
// insurance and medical types) and the card's file layout. It depends on nothing.
export type * from './types';
export {
  CARD_NUMBER, CARD_SN, ID_NUMBER, PERSON_NUMBER, REGION_CODE,
  makeCardNumber, makeCardSn, makeIdNumber, idCheckDigit, idBirthDate, idSex, isCalendarDate,
  INSU_TYPES, INSU_TYPE_CODES, isInsuType, MED_TYPES, MED_TYPE_CODES, OUTPATIENT_MED_TYPES, isMedType, MED_TYPE_OF_VISIT,
} from './identifiers';
export { SSSE_AID, PSAM_DF_NAME, PSAM_TERMINAL_SFI, CARD_RECORDS, cardRecord } from './card-layout';
