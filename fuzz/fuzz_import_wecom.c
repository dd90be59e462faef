/* fuzz_import_wecom.c -- fuzz target: `qunsim import wecom` of one file
 * (fuzz_import.h says what is checked).  Seeds: fuzz/corpus/import_wecom/. */
#include "fuzz_import.h"

int qs_fuzz_import_wecom(const uint8_t *data, size_t size);
int qs_fuzz_import_wecom(const uint8_t *data, size_t size) { return fz_import("wecom", "log.json", data, size); }

#ifdef QS_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return qs_fuzz_import_wecom(data, size); }
#endif
