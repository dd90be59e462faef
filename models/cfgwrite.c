/* cfgwrite.c -- strings written into generated libconfig text (see the
 * header).  libconfig 1.5's scanner reads \\ \" \n \r \t \f and \xHH in a
 * string; a raw newline is legal there, but escaping it keeps every
 * generated setting on one line. */
#include "cfgwrite.h"

#include <string.h>

int cw_utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80) return c ? 1 : 0;
    int n;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; }
    else return 0; /* a continuation byte, C0/C1 (overlong) or F5..FF */
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0; /* includes the NUL */
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

int cw_utf8_valid(const char *s, size_t *bad)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int k = cw_utf8_len(p);
        if (!k) {
            if (bad) *bad = (size_t)(p - (const unsigned char *)s);
            return 0;
        }
        p += k;
    }
    return 1;
}

int cw_put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        switch (*p) {
        case '\\': fputs("\\\\", f); break;
        case '"': fputs("\\\"", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '\f': fputs("\\f", f); break;
        default:
            if (*p < 0x20 || *p == 0x7F) fprintf(f, "\\x%02X", *p);
            else fputc(*p, f);
        }
    }
    fputc('"', f);
    return ferror(f) ? -1 : 0;
}

int cw_put_comment(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (p && *p) {
        int k = cw_utf8_len(p);
        if (!k) { fputc('?', f); p++; }
        else if (k == 1) { fputc(*p < 0x20 || *p == 0x7F ? ' ' : *p, f); p++; }
        else { fwrite(p, 1, (size_t)k, f); p += k; }
    }
    return ferror(f) ? -1 : 0;
}

size_t cw_shorten(char *dst, size_t n, const char *s, size_t max)
{
    if (!n) return 0;
    if (max > n - 1) max = n - 1;
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (p && *p) {
        int k = cw_utf8_len(p);
        size_t take = k ? (size_t)k : 1;
        if (w + take > max) break;
        if (k) memcpy(dst + w, p, take);
        else dst[w] = '?';
        w += take;
        p += take;
    }
    dst[w] = 0;
    return w;
}
