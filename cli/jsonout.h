/* jsonout.h -- writing strings on stdout for the commands' --format json and
 * --format csv output (one escaping rule per format for every command). */
#ifndef QS_JSONOUT_H
#define QS_JSONOUT_H

/* Print s as a JSON string: quotes, backslash escapes, control characters as
 * \uXXXX; other bytes (UTF-8) as they are.  NULL prints "". */
void json_str(const char *s);

/* Print s as a CSV field (RFC 4180): quoted, with quotes doubled, when it
 * holds a comma, quote or line break; as it is otherwise.  NULL prints "". */
void csv_str(const char *s);

#endif
