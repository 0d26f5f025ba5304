/* The forwarding winscard.dll has no code of its own (winscard.def sends every export to
 * pcscbridge.dll); a DLL still needs an entry point, and without a C runtime this is it. */
int __stdcall DllEntry(void *module, unsigned long reason, void *reserved) {
  (void)module; (void)reason; (void)reserved;
  return 1;
}
