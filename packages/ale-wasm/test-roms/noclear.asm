; Coknight test ROM 4: leaves RAM as it finds it (4 KB, NTSC, 262 lines/frame).
;
; No CLEAN_START: the only RAM byte it writes is $80, a frame counter (+1 per frame, in overscan),
; and it uses no stack. So RAM $81-$FF show whatever the console powered on with, and whatever a
; reset left there: tests use it to check ALE's power-on RAM and that ALE's System::reset keeps RAM.
        processor 6502
        include "tia.h"

frames = $80

        seg code
        org $F000
Start:
        sei
        cld
        ldx #$FF
        txs
Frame:
        VERTICAL_SYNC_AND_BLANK
        lda #0
        sta VBLANK
        ldx #192
Line:
        sta WSYNC
        dex
        bne Line
        lda #2
        sta VBLANK
        inc frames
        ldx #30
.os     sta WSYNC
        dex
        bne .os
        jmp Frame

        org $FFFC
        .word Start
        .word Start
