#!/usr/bin/env python3
"""bss-at.py IN OUT ADDR SIZE: copies the ELF image IN to OUT with its first
loadable segment that has no file contents (the .bss) moved to ADDR (its
virtual and physical address both) and SIZE bytes long.  Nothing else
changes, so a VMM places OUT's module exactly where it placed IN's."""
import struct
import sys

src, dst, addr, size = sys.argv[1], sys.argv[2], int(sys.argv[3], 0), int(sys.argv[4], 0)
img = bytearray(open(src, 'rb').read())
phoff, = struct.unpack_from('<Q', img, 32)
phentsize, phnum = struct.unpack_from('<HH', img, 54)
for i in range(phnum):
    o = phoff + i * phentsize
    kind, = struct.unpack_from('<I', img, o)
    filesz, = struct.unpack_from('<Q', img, o + 32)
    if kind == 1 and filesz == 0:
        struct.pack_into('<QQ', img, o + 16, addr, addr)
        struct.pack_into('<Q', img, o + 40, size)
        break
else:
    sys.exit('%s: no loadable segment without file contents' % src)
open(dst, 'wb').write(img)
