#!/bin/sh
# sql2c.sh FILE NAME -- print a C file defining `const char NAME[]` = FILE's text.
set -e
printf '/* generated from %s by scripts/sql2c.sh; do not edit */\n' "$1"
printf 'const char %s[] =\n' "$2"
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/\\n"/' "$1"
printf ';\n'
