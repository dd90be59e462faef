/* fuzz_import_wechatmsg.c -- fuzz target: `qunsim import wechatmsg` of one file
 * (fuzz_import.h says what is checked).  Seeds: fuzz/corpus/import_wechatmsg/. */
#include "fuzz_import.h"

int qs_fuzz_import_wechatmsg(const uint8_t *data, size_t size);
int qs_fuzz_import_wechatmsg(const uint8_t *data, size_t size) { return fz_import("wechatmsg", "log.csv", data, size); }

#ifdef QS_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return qs_fuzz_import_wechatmsg(data, size); }
#endif
