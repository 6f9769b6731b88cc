/*
 * The supervisor executable, embedded at build time. MV_SUPERVISOR_BIN is
 * the path of the freshly built supervisor; the build makes this file
 * depend on it.
 */
#ifndef MV_SUPERVISOR_BIN
#error "MV_SUPERVISOR_BIN must name the built supervisor executable"
#endif

__asm__(".section .rodata\n"
        ".balign 16\n"
        ".globl mv__supervisor_image\n"
        ".hidden mv__supervisor_image\n"
        "mv__supervisor_image:\n"
        ".incbin \"" MV_SUPERVISOR_BIN "\"\n"
        ".globl mv__supervisor_image_end\n"
        ".hidden mv__supervisor_image_end\n"
        "mv__supervisor_image_end:\n"
        ".byte 0\n"
        ".previous\n");
