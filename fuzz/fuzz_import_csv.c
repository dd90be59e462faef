/* fuzz_import_csv.c -- fuzz target: `qunsim import csv` of one file
 * (fuzz_import.h says what is checked).  Seeds: fuzz/corpus/import_csv/. */
#include "fuzz_import.h"

int qs_fuzz_import_csv(const uint8_t *data, size_t size);
int qs_fuzz_import_csv(const uint8_t *data, size_t size) { return fz_import("csv", "log.csv", data, size); }

#ifdef QS_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return qs_fuzz_import_csv(data, size); }
#endif
