#!/usr/bin/env bash
# Assembles the test ROMs with Debian's dasm (apt-get install dasm): 4 KB raw images (-f3).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
for rom in patterns game paddle noclear catch; do
  dasm "$rom.asm" -f3 -o"$rom.bin" -l"$rom.lst" >/dev/null
  rm -f "$rom.lst"
  echo "$rom.bin $(stat -c %s "$rom.bin") bytes md5 $(md5sum "$rom.bin" | cut -d' ' -f1)"
done
