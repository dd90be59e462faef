/* cfgwrite.h -- writing strings into libconfig text that qunsim generates
 * (calibrated scenarios): a string literal that reads back byte for byte, a
 * comment a string cannot end early, and a name cut to a byte budget on a
 * UTF-8 character boundary.  Not a libconfig writer: the caller lays out the
 * settings; this only makes the strings in them safe.
 */
#ifndef QS_CFGWRITE_H
#define QS_CFGWRITE_H

#include <stddef.h>
#include <stdio.h>

/* Write s as a libconfig string literal, quotes included: '\\' and '"'
 * escaped, \n \r \t \f as such, other control bytes (and DEL) as \xHH, all
 * else (UTF-8 included) verbatim, so libconfig reads back exactly s.
 * Returns 0, or -1 when the stream reports an error. */
int cw_put_string(FILE *f, const char *s);

/* Write s into a comment: control bytes (newline included) and DEL become
 * spaces and invalid UTF-8 bytes '?', so the comment cannot end on its line
 * and inject settings or an @include.  Returns 0, or -1 on a stream error. */
int cw_put_comment(FILE *f, const char *s);

/* Copy s into dst (size n) as valid UTF-8 of at most max bytes (and at most
 * n - 1): invalid bytes become '?', and a cut never splits a character.
 * Returns the number of bytes written. */
size_t cw_shorten(char *dst, size_t n, const char *s, size_t max);

/* The length (1..4) of the valid UTF-8 character at s, or 0 when the bytes
 * at s are not one (a lone continuation byte, an overlong form, a
 * surrogate, beyond U+10FFFF, or cut short by the NUL). */
int cw_utf8_len(const unsigned char *s);

/* 1 if s is valid UTF-8 throughout, else 0 (and *bad, if not NULL, gets the
 * offset of the first invalid byte). */
int cw_utf8_valid(const char *s, size_t *bad);

#endif
