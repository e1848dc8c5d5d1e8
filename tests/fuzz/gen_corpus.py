#!/usr/bin/env python3
"""Writes the hand-made seeds and reproducers of tests/fuzz/corpus/.

Run from the top of the tree: python3 tests/fuzz/gen_corpus.py.  Each file is
small and deterministic; libFuzzer adds what it finds to the corpus
directories when `make fuzz` runs, and those files are kept only if we commit
them.  The reproducers are named repro-*; tests/fuzz/README.md says what each
one reproduces and what the fixed code must do."""
import gzip, io, os, struct, subprocess, tarfile, zlib

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

def put(target, name, data):
    d = os.path.join(TOP, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

# ---------------------------------------------------------------- vq
NEXT, WRITE, INDIRECT = 1, 2, 4
def desc(addr, length, flags, nxt):
    return struct.pack("<QIHH", addr, length, flags, nxt)

def ring(num, descs, heads, extra=b"", event_idx=False, indirect=False):
    """byte 0, then RAM from 0x1000: the table, the avail ring, then extra
    (which starts at 0x1000 + 16*num + 6 + 2*num + 2)."""
    head = (num.bit_length() - 1) | (16 if event_idx else 0) | (32 if indirect else 0)
    table = b"".join(descs).ljust(16 * num, b"\0")
    avail = struct.pack("<HH", 0, len(heads)) + b"".join(
        struct.pack("<H", h) for h in heads).ljust(2 * num, b"\0") + b"\0\0"
    return bytes([head]) + table + avail + extra

put("vq", "seed-chain", ring(8, [desc(0x4000, 16, NEXT, 1), desc(0x5000, 64, WRITE, 0)], [0]))
put("vq", "seed-two-chains", ring(4, [desc(0x4000, 16, 0, 0), desc(0x5000, 8, WRITE, 0)], [0, 1],
                                   event_idx=True))
# An indirect table at 0x1100, inside the input (8 descriptors and the ring end before it).
itable = desc(0x5000, 16, NEXT, 1) + desc(0x6000, 32, WRITE, 0)
pad = 0x1100 - (0x1000 + 16 * 8 + 4 + 16 + 2)
put("vq", "seed-indirect", ring(8, [desc(0x1100, 32, INDIRECT, 0)], [0],
                                extra=b"\0" * pad + itable, indirect=True))
# Reproducer: the same table one byte further on, at the odd address 0x1101.
put("vq", "repro-misaligned-indirect", ring(8, [desc(0x1101, 32, INDIRECT, 0)], [0],
                                            extra=b"\0" * (pad + 1) + itable, indirect=True))

# ---------------------------------------------------------------- mmio
def w32(dev, off, val): return bytes([0, dev]) + struct.pack("<HI", off, val)
def rd(dev, off, size=2): return bytes([1, dev]) + struct.pack("<HB", off, size)
def poke(addr, data):
    out = b""
    for i in range(0, len(data), 255):
        part = data[i:i + 255]
        out += bytes([3]) + struct.pack("<HB", addr + i, len(part)) + part
    return out
def kick(dev): return bytes([4, dev])
def fd_ready(dev): return bytes([5, dev])
def frame(data): return bytes([6, len(data)]) + data
def queue(dev, q, lognum, desc_at, avail_at, used_at):
    return bytes([7, dev, q, lognum]) + struct.pack("<HHH", desc_at, avail_at, used_at)
def negotiate(dev, lo, hi=1, ok=0): return bytes([8, dev]) + struct.pack("<IIB", lo, hi, ok)
STATUS_ALL = 15
RINGF = (1 << 28) | (1 << 29)

def avail(heads, num=8):
    return struct.pack("<HH", 0, len(heads)) + b"".join(struct.pack("<H", h) for h in heads)

def device(dev, lo, descs, heads, q=0, extra=b""):
    return (negotiate(dev, lo) + queue(dev, q, 3, 0x2000, 0x2100, 0x2200) + extra +
            w32(dev, 0x70, STATUS_ALL) + poke(0x2000, b"".join(descs)) +
            poke(0x2100, avail(heads)))

regs = b"".join(rd(d, off) for d in range(4) for off in range(0, 0x100, 4))
put("mmio", "seed-registers", regs + rd(3, 0x100, 0) + rd(3, 0x104, 3) + rd(1, 0x108, 1))
put("mmio", "seed-rng", device(2, RINGF, [desc(0x3000, 64, WRITE, 0)], [0]) + kick(2))
blk_read = (desc(0x3000, 16, NEXT, 1) + desc(0x3100, 512, WRITE | NEXT, 2) +
            desc(0x3400, 1, WRITE, 0))
blk_write = (desc(0x3500, 16, NEXT, 4) + desc(0x3600, 512, NEXT, 5) + desc(0x3900, 1, WRITE, 0))
put("mmio", "seed-blk", device(1, RINGF, [blk_read, blk_write], [0, 3]) +
    poke(0x3000, struct.pack("<IIQ", 0, 0, 1)) + poke(0x3500, struct.pack("<IIQ", 1, 0, 2)) +
    poke(0x3600, b"hello, disk") + kick(1))
put("mmio", "seed-blk-getid-flush", device(1, RINGF, [desc(0x3000, 16, NEXT, 1),
    desc(0x3100, 20, WRITE | NEXT, 2), desc(0x3200, 1, WRITE, 0), desc(0x3300, 16, NEXT, 4),
    desc(0x3400, 1, WRITE, 0)], [0, 3]) + poke(0x3000, struct.pack("<IIQ", 8, 0, 0)) +
    poke(0x3300, struct.pack("<IIQ", 4, 0, 0)) + kick(1))
put("mmio", "seed-console", device(0, RINGF, [desc(0x3000, 6, 0, 0)], [0], q=1) +
    poke(0x3000, b"hello\n") + kick(0))
NET_MAC = 1 << 5
eth = bytes.fromhex("ffffffffffff020000000001" "0806") + bytes(46)
def net(rx_len):
    # queue 0 (receive) at 0x2000, queue 1 (transmit) at 0x2400
    return (negotiate(3, RINGF | NET_MAC) + queue(3, 0, 3, 0x2000, 0x2100, 0x2200) +
            queue(3, 1, 3, 0x2400, 0x2500, 0x2600) + w32(3, 0x70, STATUS_ALL) +
            poke(0x2000, desc(0x3000, rx_len, WRITE, 0)) + poke(0x2100, avail([0])) +
            poke(0x2400, desc(0x4000, 12 + len(eth), 0, 0)) + poke(0x2500, avail([0])) +
            poke(0x4000, bytes(12) + eth) + frame(eth))
put("mmio", "seed-net", net(1526) + kick(3) + frame(eth) + fd_ready(3))
# Reproducer: a receive buffer of 12 bytes, only the virtio-net header.
put("mmio", "repro-net-rx-12-bytes", net(12) + kick(3))

# ---------------------------------------------------------------- image
PT_LOAD, PT_NOTE = 1, 4
def elf(phdrs, entry=0, body=b""):
    """A 64-bit x86-64 ELF: header, program headers, then body; phdrs are
    (type, offset, paddr, filesz, memsz), offsets relative to the body."""
    base = 64 + 56 * len(phdrs)
    eh = (b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) +
          struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, entry, 64, 0, 0, 64, 56, len(phdrs), 64, 0, 0))
    ph = b"".join(struct.pack("<IIQQQQQQ", t, 7, base + off, pa, pa, fs, ms, 0x1000)
                  for t, off, pa, fs, ms in phdrs)
    return eh + ph + body

def host(entry):
    note = struct.pack("<III", 4, 8, 18) + b"Xen\0" + struct.pack("<Q", entry)
    code = b"\xf4" * 16
    return elf([(PT_NOTE, 0, 0, len(note), len(note)),
                (PT_LOAD, len(note), 0x100000, len(code), 0x1000)], body=note + code)

put("image", "seed-host", b"\0" + host(0x100000))
put("image", "seed-host-gzip", b"\0" + gzip.compress(host(0x100000), mtime=0))
guest = elf([(PT_LOAD, 0, 0x400000, 16, 0x2000)], entry=0x400000, body=b"\x90" * 16)
put("image", "seed-guest", b"\1" + guest)
tail = b"poweroff=3\0hello\0"
put("image", "seed-guest-cmdline", b"\3" + guest + tail + b"w" * (64 - len(tail)))
put("image", "seed-not-elf", b"\0" + b"#!/bin/sh\necho hi\n")
# Reproducers.
put("image", "repro-host-entry-outside-segments", b"\0" + host(0x900000))
# The module goes at the top of the 16 MiB of RAM, page-aligned: this Guest's
# one segment is the last page of RAM, where the module itself lies.
put("image", "repro-guest-overlaps-module",
    b"\1" + elf([(PT_LOAD, 0, 0xfff000, 16, 0x1000)], entry=0xfff000, body=b"\x90" * 16))
# 40 MiB of zeros, gzip'd: bigger than the 16 MiB of RAM the harness gives.
z = zlib.compressobj(9, zlib.DEFLATED, 31)
bomb = z.compress(bytes(40 << 20)) + z.flush()
put("image", "repro-gzip-bomb", b"\0" + bomb)

# ---------------------------------------------------------------- switch
HONEST = 128
def dgram(sender, data): return bytes([sender, len(data)]) + data
def mac(i): return bytes([2, 0, 0, 0, 0, i])
BCAST = b"\xff" * 6
def eframe(dst, src=bytes(6), payload=b"hello"):
    return dst + src + b"\x08\x00" + payload.ljust(46, b"\0")

put("switch", "seed-two-guests",
    dgram(0, b"") + dgram(1, b"") + dgram(HONEST | 0, eframe(BCAST)) +
    dgram(HONEST | 1, eframe(BCAST)) + dgram(HONEST | 0, eframe(mac(1))) +
    dgram(HONEST | 1, eframe(mac(0))))
put("switch", "seed-dead-peers",
    b"".join(dgram(40 + i, b"") for i in range(8)) + dgram(HONEST | 0, eframe(BCAST)) +
    dgram(HONEST | 2, eframe(BCAST)) + dgram(127, eframe(BCAST)) + dgram(3, b"short"))
# Reproducers.
put("switch", "repro-port-table-full",
    b"".join(dgram(32 + i, b"") for i in range(64)) +
    dgram(HONEST | 0, eframe(BCAST)) + dgram(HONEST | 1, eframe(BCAST)))
put("switch", "repro-mac-steal",
    dgram(HONEST | 0, eframe(BCAST)) + dgram(HONEST | 1, eframe(BCAST)) +
    dgram(2, eframe(BCAST, src=mac(1))) + dgram(HONEST | 1, eframe(BCAST)) +
    dgram(HONEST | 0, eframe(mac(1))))

# ---------------------------------------------------------------- hostcmdline
DEV = "virtio_mmio.device="
put("hostcmdline", "seed-launcher",
    (" ".join(DEV + "0x200@0x%x:%d" % (0xd0000000 + 0x200 * i, 5 + i) for i in range(4)) +
     " -- poweroff=3").encode())
put("hostcmdline", "seed-refused",
    (DEV + "0x200@0x1000:5 " + DEV + "0x200@0xfee00000:6 " + DEV + "0@0xd0000000:5 " +
     DEV + "0x200@0xd0000000:2 " + DEV + "1K@0xd0000000:9:1 " + DEV + "0x200@0xd0000200:9 " +
     DEV + "4096@0xd0001000:24 " + DEV + "0x200@x:5 console=hvc0").encode())
put("hostcmdline", "seed-many", " ".join(DEV + "0x200@0x%x:%d" % (0xd0000000 + 0x1000 * i, 3 + i)
                                         for i in range(18)).encode())
# Reproducers.
put("hostcmdline", "repro-line-4294967303", (DEV + "0x200@0xd0000000:4294967303").encode())
put("hostcmdline", "repro-overlapping-windows",
    (DEV + "0x200@0xd0000000:5 " + DEV + "0x200@0xd0000100:6").encode())
put("hostcmdline", "repro-window-wraps", (DEV + "0x100@0xfffffffffffff000:5").encode())

# ---------------------------------------------------------------- hostelf
put("hostelf", "seed-guest", elf([(PT_LOAD, 0, 0x400000, 16, 0x2000)], entry=0x400000,
                                 body=b"\x90" * 16))
put("hostelf", "seed-two-segments", elf([(PT_LOAD, 0, 0x200000, 16, 0x1000),
                                         (PT_NOTE, 0, 0, 16, 16),
                                         (PT_LOAD, 16, 0x300000, 16, 0x100)],
                                        entry=0x200000, body=b"\x90" * 32))
put("hostelf", "seed-outside-window", elf([(PT_LOAD, 0, 0x100000, 16, 0x1000)], entry=0x100000,
                                          body=b"\x90" * 16))
# Reproducer: the module sits in the last page of the 8 MiB; so does this segment.
put("hostelf", "repro-guest-overlaps-module",
    elf([(PT_LOAD, 0, 0x7ff000, 16, 0x1000)], entry=0x7ff000, body=b"\x90" * 16))

# ---------------------------------------------------------------- net
OUR_MAC, PEER_MAC = bytes([2, 1, 0, 0, 0x12, 0x34]), bytes([2, 2, 0, 0, 0x56, 0x78])
OUR_IP, PEER_IP = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
def ipv4(proto, payload, src=PEER_IP, dst=OUR_IP):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0x1234, 0x4000, 64, proto, 0, src, dst)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return OUR_MAC + PEER_MAC + b"\x08\x00" + h + payload
def icmp_echo(ident, seq, data):
    m = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    return ipv4(1, m[:2] + struct.pack("!H", csum(m)) + m[4:])
def udp(sport, dport, data):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    pseudo = PEER_IP + OUR_IP + struct.pack("!BBH", 0, 17, len(u))
    return ipv4(17, u[:6] + struct.pack("!H", csum(pseudo + u) or 0xffff) + u[8:])
arp_req = (b"\xff" * 6 + PEER_MAC + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) +
           PEER_MAC + PEER_IP + bytes(6) + OUR_IP + bytes(18))
arp_rep = (OUR_MAC + PEER_MAC + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) +
           PEER_MAC + PEER_IP + OUR_MAC + OUR_IP + bytes(18))
def fin(f): return b"\0" + struct.pack("!H", len(f)) + f
put("net", "seed-arp", fin(arp_req) + fin(arp_rep))
put("net", "seed-ping", fin(arp_rep) + fin(icmp_echo(7, 1, b"abcdefgh" * 4)))
put("net", "seed-udp", fin(udp(4000, 7, b"hello")) + fin(udp(4000, 9999, b"x" * 100)))
put("net", "seed-send", fin(arp_rep) + b"\1" + PEER_IP + struct.pack("!HHH", 5000, 7, 32) +
    b"\2" + PEER_IP + struct.pack("!HHH", 1, 2, 56) + b"\3" + bytes([10, 0, 0, 9]) +
    b"\4\x0810.0.0.2" + b"\4\x0f300.1.2.3.4.5.6")

# ---------------------------------------------------------------- tarfs
def tar(members):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.mtime = 0
            if data is None:
                ti.type = tarfile.DIRTYPE
                t.addfile(ti)
            else:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
    return b.getvalue().rstrip(b"\0").ljust(((len(b.getvalue().rstrip(b"\0")) + 1023) // 512) * 512, b"\0")
put("tarfs", "seed-files", tar([("hello.txt", b"hello, world\n"), ("docs", None),
                                ("docs/a.txt", b"a" * 700), ("empty", b"")]))
put("tarfs", "seed-long-names", tar([("p" * 70 + "/" + "q" * 60, None),
                                     ("p" * 70 + "/" + "q" * 60 + "/" + "n" * 99, b"long\n")]))

# ---------------------------------------------------------------- tangle
# noweb's markup of the tangler's own test chapters: a good book and each bad one.
TESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tangle")
def markup(chapters):
    return subprocess.run(["/usr/lib/noweb/markup", "-t"] + chapters, check=True,
                          stdout=subprocess.PIPE, cwd=os.path.dirname(chapters[0]) or ".").stdout
def chapters_of(d):
    c = os.path.join(TESTS, d, "chapters")
    return sorted(os.path.join(c, f) for f in os.listdir(c) if f.endswith(".nw"))
if os.path.exists("/usr/lib/noweb/markup"):
    for d in ["good"] + ["bad/" + b for b in sorted(os.listdir(os.path.join(TESTS, "bad")))]:
        files = chapters_of(d)
        # markup names files as given: make them chapters/NN-x.nw, as make tangle does
        out = subprocess.run(["/usr/lib/noweb/markup", "-t"] +
                             [os.path.join("chapters", os.path.basename(f)) for f in files],
                             check=True, stdout=subprocess.PIPE,
                             cwd=os.path.dirname(os.path.dirname(files[0]))).stdout
        put("tangle", "seed-" + d.replace("/", "-"), out)
# Reproducers (fixed in tangle/lgtangle.c on this branch): a marked step whose
# code chunk is empty (the tale's closing comment read lines[-1]: a segfault
# of `make tangle` on a real chapter), and a code line before any @defn.
put("tangle", "repro-empty-marked-chunk",
    b"@file chapters/30-launcher.nw\n@begin docs 0\n@text # The Launcher\n@nl\n@end docs 0\n"
    b"@begin docs 1\n@text L:100 Title.\n@nl\n@text Prose.\n@nl\n@end docs 1\n"
    b"@begin code 2\n@defn launcher/x.c\n@nl\n@end code 2\n")
put("tangle", "repro-code-before-defn",
    b"@file chapters/30-launcher.nw\n@begin code 0\n@text x\n@nl\n@end code 0\n")
