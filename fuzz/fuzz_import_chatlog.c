/* fuzz_import_chatlog.c -- fuzz target: `qunsim import chatlog` of one file
 * (fuzz_import.h says what is checked).  Seeds: fuzz/corpus/import_chatlog/. */
#include "fuzz_import.h"

int qs_fuzz_import_chatlog(const uint8_t *data, size_t size);
int qs_fuzz_import_chatlog(const uint8_t *data, size_t size) { return fz_import("chatlog", "log.json", data, size); }

#ifdef QS_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return qs_fuzz_import_chatlog(data, size); }
#endif
