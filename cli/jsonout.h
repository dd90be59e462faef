/* jsonout.h -- writing JSON string literals on stdout for the commands'
 * --format json output (one escaping rule for every command). */
#ifndef QS_JSONOUT_H
#define QS_JSONOUT_H

/* Print s as a JSON string: quotes, backslash escapes, control characters as
 * \uXXXX; other bytes (UTF-8) as they are.  NULL prints "". */
void json_str(const char *s);

#endif
