#!/usr/bin/env bash
# The Guest's tar reader (drivers/tarfs.c, D:600-D:650) on the host, against
# archives made by GNU tar: listings and contents compared with the files that
# went in, then damaged and hostile images, then a fuzzer.  The reader is
# compiled with the address and undefined-behaviour sanitizers when gcc has
# them, and tests/block/tartest.c aborts on any read past the disk's end.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

src=${BLOCK_SRC:-build/src}
[ -f "$src/drivers/tarfs.c" ] || src=generated
if [ ! -f "$src/drivers/tarfs.c" ]; then
	skip tarfs "drivers/tarfs.c is not tangled yet: run make tangle"; exit 0
fi
if ! command -v tar >/dev/null; then
	fail tarfs "GNU tar is not installed"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

san="-fsanitize=address,undefined -fno-sanitize-recover=all"
echo 'int main(void){return 0;}' >"$work/t.c"
gcc $san -o "$work/t" "$work/t.c" 2>/dev/null && "$work/t" 2>/dev/null || san=""
if ! gcc -O1 -g -Wall -Wextra -std=gnu11 $san -ffreestanding -I"$src/include" -I"$src/drivers" \
	-c "$src/drivers/tarfs.c" -o "$work/tarfs.o" >"$work/cc.log" 2>&1 ||
   ! gcc -O1 -g -Wall -Wextra -std=gnu11 $san -I"$src/include" -I"$src/drivers" \
	-o "$work/tartest" tests/block/tartest.c "$work/tarfs.o" >>"$work/cc.log" 2>&1; then
	sed 's/^/    | /' "$work/cc.log" | head -30
	fail tarfs-build "cannot compile tests/block/tartest.c with $src/drivers/tarfs.c"; exit 0
fi
ok "tarfs-build${san:+ (with sanitizers)}"
tt() { timeout 60 "$work/tartest" "$@"; }

# ---- the tree that goes into the archives
t=$work/tree
mkdir -p "$t/docs/a/b" "$t/empty-dir"
long1=$(printf 'p%.0s' {1..70})/$(printf 'q%.0s' {1..60})
long2=$(printf 'n%.0s' {1..99})
mkdir -p "$t/$long1"
printf 'hello, world\n' >"$t/hello.txt"
: >"$t/empty"
head -c 512 /dev/urandom >"$t/one-sector"
head -c 513 /dev/urandom >"$t/one-sector-and-a-byte"
head -c 300000 /dev/urandom >"$t/docs/big.bin"
seq 1 5000 >"$t/docs/a/b/deep.txt"
printf 'at the end of a long path\n' >"$t/$long1/$long2"
ln -s hello.txt "$t/link"
files=(hello.txt empty one-sector one-sector-and-a-byte docs/big.bin docs/a/b/deep.txt "$long1/$long2")

img=$work/disk.img
tar --format=ustar -cf "$img" -C "$t" . 2>"$work/tar.log" ||
	{ fail tarfs-make "tar --format=ustar failed: $(head -c 300 "$work/tar.log")"; exit 0; }

# ---- contents: every file, byte for byte
bad=""
for f in "${files[@]}"; do
	tt "$img" cat "$f" >"$work/out" 2>"$work/err" && cmp -s "$work/out" "$t/$f" || bad="$bad $f"
done
[ -z "$bad" ] && ok "tarfs-cat-every-file (${#files[@]} files, 0 to 300000 bytes)" ||
	fail tarfs-cat-every-file "differ:${bad:0:300}"
expect tarfs-cat-dot-slash cmp -s <(tt "$img" cat ./docs//a/b/deep.txt/) "$t/docs/a/b/deep.txt"
expect tarfs-cat-leading-slash cmp -s <(tt "$img" cat /hello.txt) "$t/hello.txt"

# ---- listings, compared with the tree (the symlink is skipped, by design)
listing() { # DIR: "d NAME" / "f SIZE NAME" for the tree, sorted
	(cd "$t/$1" && for n in * .[!.]*; do
		[ -e "$n" ] || continue
		if [ -L "$n" ]; then continue
		elif [ -d "$n" ]; then echo "d $n"
		else echo "f $(stat -c %s "$n") $n"; fi
	done) | sort
}
for d in "" docs docs/a "$long1" empty-dir; do
	tt "$img" ls "$d" >"$work/ls" 2>&1
	n=$(listing "$d" | wc -l)
	if diff <(grep -v '^total ' "$work/ls" | sort) <(listing "$d") >"$work/diff" &&
	   grep -qx "total $n" "$work/ls"; then
		ok "tarfs-ls-${d:0:12}${d:+ }($n entries)"
	else
		fail "tarfs-ls-${d:0:12}" "$(head -c 400 "$work/diff")"
	fi
done
# A name of 99 characters under a 131-character directory needs the prefix field.
off=$(grep -obUa "$long2" "$img" | head -n 1 | cut -d: -f1)
expect tarfs-long-name-uses-prefix test "$(( ${off:-1} % 512 ))-$(dd if="$img" bs=1 skip=$(( ${off:-0} + 347 )) count=3 2>/dev/null)" = "0-ppp"
grep -q "$(printf 'p%.0s' {1..70})" <(tt "$img" ls "") &&
	grep -qx "f 26 $long2" <(tt "$img" ls "$long1") && ok tarfs-long-name ||
	fail tarfs-long-name "the 230-character path is not listed"

# ---- errors say what is wrong
expect_err() { # NAME "MESSAGE" ARGS...
	local name=$1 msg=$2; shift 2
	tt "$@" >"$work/out" 2>&1; local rc=$?
	if [ $rc = 1 ] && grep -qxF "error: $msg" "$work/out"; then ok "$name"
	else fail "$name" "status $rc: $(tail -c 200 "$work/out")"; fi
}
expect_err tarfs-ls-file "not a directory" "$img" ls hello.txt
expect_err tarfs-ls-missing "no such file or directory" "$img" ls nowhere
expect_err tarfs-cat-missing "no such file or directory" "$img" cat docs/nothing
expect_err tarfs-cat-dir "not a regular file" "$img" cat docs
expect_err tarfs-cat-symlink "not a regular file" "$img" cat link

# ---- archives other than tar -C dir .
tar --format=ustar -cf "$work/implied.img" -C "$t" docs/a/b/deep.txt hello.txt
tt "$work/implied.img" ls "" >"$work/ls"
if grep -qx "d docs" "$work/ls" && grep -qx "f 13 hello.txt" "$work/ls" && grep -qx "total 2" "$work/ls" &&
   grep -qx "d b" <(tt "$work/implied.img" ls docs/a); then
	ok tarfs-implied-directories
else
	fail tarfs-implied-directories "$(tr '\n' '|' <"$work/ls")"
fi
cp "$work/implied.img" "$work/appended.img"
printf 'second version\n' >"$work/hello.txt"
tar --format=ustar -rf "$work/appended.img" -C "$work" hello.txt
expect tarfs-appended-copy-wins test "$(tt "$work/appended.img" cat hello.txt)" = "second version"
# A disk image larger than its archive: what follows the zero blocks is ignored.
cat "$img" <(head -c 100000 /dev/urandom) >"$work/padded.img"
expect tarfs-trailing-garbage cmp -s <(tt "$work/padded.img" cat docs/big.bin) "$t/docs/big.bin"

# ---- damaged and hostile images
head -c 65536 /dev/zero >"$work/zero.img"
expect_err tarfs-zero-disk "no tar archive on the disk" "$work/zero.img" ls
head -c 65536 /dev/urandom >"$work/random.img"
expect_err tarfs-random-disk "no tar archive on the disk" "$work/random.img" ls
expect_err tarfs-bad-checksum "no tar archive on the disk" --poke 0:0:X "$img" ls
# the second header: find it from the first entry's size (the root "./", no data)
expect_err tarfs-bad-second-header "the archive is damaged" --poke 1:0:X "$img" ls
expect_err tarfs-bad-magic "no tar archive on the disk" --poke 0:257:ustaR --fixsum 0 "$img" ls
# The header of hello.txt, a file ("./hello.txt" starts its name field).
h=$(grep -obUa "hello.txt" "$img" | awk -F: '$1 % 512 == 2 { print int($1 / 512); exit }')
expect_err tarfs-bad-octal "the archive is damaged" --poke $h:124:0000000009 --fixsum $h "$img" ls
# A size field claiming 8 GiB - 1 on a small disk: refused, nothing read past the end.
expect_err tarfs-huge-size "the archive is damaged" --poke $h:124:77777777777 --fixsum $h "$img" ls

sectors=$(( $(stat -c %s "$img") / 512 ))
expect_err tarfs-truncated "the archive is damaged" --sectors $((sectors / 2)) "$img" cat docs/big.bin
# An archive that simply stops after its last file (no zero blocks) is whole.
tar --format=ustar -cf "$work/nozero.img" -C "$t" hello.txt
expect tarfs-no-end-blocks test "$(tt --sectors 2 "$work/nozero.img" cat hello.txt)" = "hello, world"
# A name field filled to its last byte has no NUL: the name is its 100 bytes.
full=$(printf 'z%.0s' {1..100})
tt --poke "1:0:$full" --fixsum 1 "$img" ls "" >"$work/out" 2>&1
grep -qE "^[fd] ([0-9]+ )?$full\$" "$work/out" && ok tarfs-unterminated-name ||
	fail tarfs-unterminated-name "$(head -c 300 "$work/out")"

# ---- the fuzzer: random damage, every operation, never a read past the disk
tt "$img" fuzz 3000 1 >"$work/fuzz" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q "none past the disk" "$work/fuzz"; then
	ok "tarfs-fuzz: $(cut -d: -f2- "$work/fuzz")"
else
	fail tarfs-fuzz "status $rc: $(tail -c 400 "$work/fuzz")"
fi
exit 0
