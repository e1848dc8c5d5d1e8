/* Tangled from chapters/31-launcher-pvh.nw by `make tangle`: edit the chapter, not this file. */
/*L:340 The images inside the Launcher.
 * `build/lguest` alone should boot something, so the build puts copies of
 * `build/host.elf` and `build/guest.elf` inside it. The assembler's `.incbin`
 * directive pastes a file's bytes into an object file; the labels around each
 * copy tell the C code where it starts and ends. The paths are relative to the
 * top of the tree, where `make` runs the assembler, and the Makefile makes this
 * object depend on both images, so a rebuilt Host is always the one inside. :*/
/* The built-in Host and Guest images, pasted in by the assembler. */
	.section .rodata.lguest_images, "a"
	.balign 16
	.globl lg_builtin_host, lg_builtin_host_end
lg_builtin_host:
	.incbin "build/host.elf"
lg_builtin_host_end:
	.balign 16
	.globl lg_builtin_guest, lg_builtin_guest_end
lg_builtin_guest:
	.incbin "build/guest.elf"
lg_builtin_guest_end:
	.section .note.GNU-stack, "", %progbits
/*:*/
