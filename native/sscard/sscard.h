/*
 * libsscard: the reader interface that HIS software calls to read China's social security
 * card (社会保障卡), over PC/SC (pcsc-lite). The function names, argument lists and error
 * codes follow the common reader interface of the card's terminal specification (the
 * SSCardDriver-style libraries; see README.md for the public sources). Linux; second- and
 * third-generation cards, a PSAM in a second reader, or an HSM through the two-step read.
 *
 * Every output buffer must hold at least SSCARD_OUT_MAX bytes; the library never writes
 * more (terminating NUL included). On an error, pOutInfo holds a one-line reason (ASCII).
 */
#ifndef SSCARD_H
#define SSCARD_H

#ifdef __cplusplus
extern "C" {
#endif

/* Exports: stdcall on Windows, as the Windows headers of the reader libraries declare them. */
#if defined(_WIN32)
#  define SSCARD_CALL __stdcall
#  ifdef SSCARD_BUILD
#    define SSCARD_API __declspec(dllexport)
#  else
#    define SSCARD_API __declspec(dllimport)
#  endif
#else
#  define SSCARD_CALL
#  define SSCARD_API __attribute__((visibility("default")))
#endif

#define SSCARD_OUT_MAX 1024

/* iType: which interface to use */
#define SSCARD_CONTACT             1
#define SSCARD_CONTACTLESS         2
#define SSCARD_AUTO_CONTACT_FIRST  3
#define SSCARD_AUTO_CONTACTLESS_FIRST 4

/* return codes */
#define SSCARD_OK                 0
#define SSCARD_E_CARD_TYPE       -1   /* wrong card type (no social security application, bad records) */
#define SSCARD_E_NO_CARD         -2   /* no card in the reader */
#define SSCARD_E_READER         -11   /* reader error (no PC/SC, no such reader, transmit failed) */
#define SSCARD_E_PARAM          -14   /* bad parameter (iType, PIN format, no PIN given) */
#define SSCARD_E_NOT_CONNECTED  -12   /* iReadCardBas_HSM_Step2 without a Step1 card session */
#define SSCARD_E_BAD_DATA       -23   /* pKey malformed (fewer than 64 hex digits) */
#define SSCARD_E_HSM_MISMATCH   -25   /* the card's internal authentication differs from the HSM's: not genuine */
#define SSCARD_E_PIN_WRONG      -51   /* wrong PIN: pOutInfo holds the tries left ("2") */
#define SSCARD_E_PIN_LOCKED     -52   /* PIN locked */
#define SSCARD_E_NO_PSAM      -2201   /* a third-generation card needs the PSAM and none was found */
#define SSCARD_E_PSAM_NO_KEY  -2203   /* the PSAM has no RKSSSE key (6A88) */
/* Any other card or PSAM status word is returned negated, as the public code lists give them:
 * EXTERNAL AUTHENTICATE 63C2 -> -25538 (2 tries left), 6983 -> -27011 (key locked). */

/*
 * Read the card's basic information. pOutInfo receives 11 fields, each followed by '|':
 * region|SSN|card number|card identification code|name|ATR historical bytes|spec version|
 * issue date|expiry date|terminal number|terminal device number|
 * The name is GBK (default) or UTF-8 (SSCARD_ENCODING=utf-8).
 */
SSCARD_API long SSCARD_CALL iReadCardBas(int iType, char *pOutInfo);

/*
 * Verify the holder's PIN. Real readers take the PIN from their PIN pad; this library
 * takes it from the environment variable SSCARD_PIN (4-12 digits).
 * 0: verified; -51: wrong, pOutInfo = tries left; -52: locked.
 */
SSCARD_API long SSCARD_CALL iVerifyPIN(int iType, char *pOutInfo);

/* The same with the PIN as an argument (an extension of this library). */
SSCARD_API long SSCARD_CALL iVerifyPINEx(int iType, const char *pPin, char *pOutInfo);

/* Change the PIN: old from SSCARD_PIN, new from SSCARD_NEW_PIN (6 digits each). -51 / -52 as iVerifyPIN. */
SSCARD_API long SSCARD_CALL iChangePIN(int iType, char *pOutInfo);
/* The same with the PINs as arguments (an extension of this library). */
SSCARD_API long SSCARD_CALL iChangePINEx(int iType, const char *pOldPin, const char *pNewPin, char *pOutInfo);

/* Issuer-side PIN reload on a third-generation card: external authentication through the PSAM,
 * then RELOAD PIN. pCardInfo = the new PIN (6 digits); the tries go back to the maximum. */
SSCARD_API long SSCARD_CALL iReloadPIN(int iType, char *pCardInfo, char *pOutInfo);

/*
 * Read through the platform's encryption machine (HSM) instead of a PSAM. Step1 leaves the
 * card connected (process-wide state) and gives 9 fields, each followed by '|':
 * region|ATR historical bytes|algorithm|card id code|int-auth factor|int-auth data|
 * ext-auth factor|ext-auth data|terminal SN|
 * Step2(pKey): the HSM's answer, >= 64 hex digits ('|' ignored): 1-16 the internal-auth result
 * (checked against the card's, else -25), 33-64 factor + cryptogram for EXTERNAL AUTHENTICATE;
 * then pOutInfo = the 11-field line of iReadCardBas. A card that needs no external
 * authentication: fields 5-8 empty and pKey ignored.
 */
SSCARD_API long SSCARD_CALL iReadCardBas_HSM_Step1(int iType, char *pOutInfo);
SSCARD_API long SSCARD_CALL iReadCardBas_HSM_Step2(char *pKey, char *pOutInfo);

/*
 * The national medical insurance platform's reader library (HeaSecReadInfo-style).
 * Init: pInitInfo is JSON {"IP","PORT","TIMEOUT","LOG_PATH","SFZ_DRIVER_TYPE",...}; the fields are
 * kept, no connection is made (this library reads the card only). 0 ok, -1 + pErrMsg.
 * ReadCardBas: pCardInfo (>= 2048 bytes) = the 11-field line; pBusiCardInfo (>= 8192 bytes) =
 * JSON of transaction 1101's input for this card. -1 before Init.
 */
SSCARD_API long SSCARD_CALL Init(char *pInitInfo, char *pErrMsg);
SSCARD_API long SSCARD_CALL ReadCardBas(char *pCardInfo, char *pBusiCardInfo);

#ifdef __cplusplus
}
#endif

#endif
