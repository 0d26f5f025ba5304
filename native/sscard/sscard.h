/*
 * libsscard: the reader interface that HIS software calls to read China's social security
 * card (社会保障卡), over PC/SC (pcsc-lite). The function names, argument lists and error
 * codes follow the common reader interface of the card's terminal specification (the
 * SSCardDriver-style libraries; see README.md for the public sources). Linux, first slice:
 * contact interface, second-generation card, no PSAM.
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
#define SSCARD_E_PIN_WRONG      -51   /* wrong PIN: pOutInfo holds the tries left ("2") */
#define SSCARD_E_PIN_LOCKED     -52   /* PIN locked */

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

#ifdef __cplusplus
}
#endif

#endif
