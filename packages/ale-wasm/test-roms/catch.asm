; Coknight Catch: a small but complete Atari 2600 game, written for Coknight's Atari learning test
; (4 KB, NTSC, 262 lines/frame; assemble with dasm, see build.sh).
;
; A block falls from the top of the screen; move the paddle at the bottom (joystick left/right) to
; catch it. A catch scores 1 point, a miss costs a life. The game ends after 3 misses or 30 blocks.
; Console: RESET starts a new game, SELECT toggles the speed (mode 0: the block falls 4 lines per
; frame, mode 1: 6) and stops the current game (as most 2600 games do); the power-on state is
; "game over" (attract mode), so a game starts with RESET.
;
; RAM: $80 score hi (BCD), $81 score lo (BCD), $82 lives, $83 game-over flag, $84 paddle x (0..128),
;      $85 block x (12..139), $86 block y (0..172, top of the block), $87 random (8-bit LFSR),
;      $88 frame counter, $89 mode, $8A blocks dropped this game, $8B SELECT held last frame.
; Screen: black background; the paddle is a 32-pixel wide yellow bar on lines 176-179; the block a
; 16x8 red square; the lives left are the width of a green bar on the top 4 lines (PF1 bits).
        processor 6502
        include "tia.h"

NUSIZ0  = $04
NUSIZ1  = $05
COLUP0  = $06
COLUP1  = $07
RESP0   = $10
RESP1   = $11
GRP0    = $1B
GRP1    = $1C
HMP0    = $20
HMP1    = $21
HMOVE   = $2A
HMCLR   = $2B
INTIM   = $0284
TIM64T  = $0296

scoreHi  = $80
scoreLo  = $81
lives    = $82
gameOver = $83
padX     = $84
objX     = $85
objY     = $86
rand     = $87
frames   = $88
mode     = $89
drops    = $8A
prevSel  = $8B

PAD_TOP   = 176
PAD_LINES = 4
PAD_W     = 32
OBJ_H     = 8
OBJ_W     = 16
CATCH_Y   = PAD_TOP - OBJ_H
MAX_DROPS = $30               ; BCD 30
LIVES0    = 3

        seg code
        org $F000
Start:
        CLEAN_START
        lda #1
        sta gameOver
        sta rand
        lda #64
        sta padX
        lda #72
        sta objX

Frame:
        ; --- VSYNC (3 lines), then VBLANK timed by the RIOT timer (37 lines)
        lda #2
        sta VBLANK
        sta VSYNC
        sta WSYNC
        sta WSYNC
        sta WSYNC
        lda #0
        sta VSYNC
        lda #43
        sta TIM64T

        ; position the paddle (P0) and the block (P1)
        lda padX
        ldx #0
        jsr PosObject
        lda objX
        ldx #1
        jsr PosObject
        sta WSYNC
        sta HMOVE
        lda #$07              ; quad-width paddle
        sta NUSIZ0
        lda #$05              ; double-width block
        sta NUSIZ1
        lda #$1E
        sta COLUP0
        lda #$46
        sta COLUP1
        lda #$C8
        sta COLUPF
        lda #0
        sta COLUBK
        sta CTRLPF
        sta PF0
        sta PF2
        ldx lives
        lda LivesBar,x
        sta PF1
.vbwait lda INTIM
        bne .vbwait
        sta WSYNC
        lda #0
        sta VBLANK

        ; --- 192 visible lines; Y counts lines from the top
        ldy #0
Line:
        sta WSYNC
        cpy #4
        bne .pfon
        lda #0
        sta PF1
.pfon
        tya
        sec
        sbc objY
        cmp #OBJ_H
        bcc .obj
        lda #0
        .byte $2C             ; BIT abs: skips the next lda #
.obj    lda #$FF
        sta GRP1
        cpy #PAD_TOP
        bcc .nopad
        cpy #PAD_TOP+PAD_LINES
        bcs .nopad
        lda #$FF
        bne .pad
.nopad  lda #0
.pad    sta GRP0
        iny
        cpy #192
        bne Line

        ; --- overscan (30 lines): the game's rules
        sta WSYNC
        lda #2
        sta VBLANK
        lda #0
        sta GRP0
        sta GRP1
        lda #35
        sta TIM64T
        inc frames
        ; the random generator runs every frame: 8-bit Galois LFSR, taps $B4
        lda rand
        lsr
        bcc .nox
        eor #$B4
.nox    sta rand

        lda SWCHB
        lsr                   ; RESET (bit 0) into carry: clear while held
        bcs NoReset
        lda #0
        sta scoreHi
        sta scoreLo
        sta gameOver
        sta drops
        sta objY
        lda #LIVES0
        sta lives
        lda #64
        sta padX
        jsr NewBlockX
        jmp EndLogic
NoReset:
        lda SWCHB
        and #$02              ; SELECT: 0 while held; acts once per press
        bne .selUp
        lda prevSel
        bne .selDone
        lda #1
        sta prevSel
        sta gameOver
        lda mode
        eor #1
        sta mode
        jmp .selDone
.selUp  lda #0
        sta prevSel
.selDone
        lda gameOver
        beq Play
        jmp EndLogic
Play:
        lda SWCHA             ; P0 right: bit 7 clear while held
        bmi .noRight
        lda padX
        clc
        adc #4
        cmp #160-PAD_W+1
        bcc .rok
        lda #160-PAD_W
.rok    sta padX
.noRight
        lda SWCHA             ; P0 left: bit 6 clear while held
        and #$40
        bne .noLeft
        lda padX
        sec
        sbc #4
        bcs .lok
        lda #0
.lok    sta padX
.noLeft
        ; the block falls
        lda mode
        beq .slow
        lda #6
        bne .fall
.slow   lda #4
.fall   clc
        adc objY
        sta objY
        cmp #CATCH_Y
        bcc EndLogic
        ; the block reached the paddle's line: caught when the two overlap horizontally,
        ; i.e. 0 < objX + OBJ_W - padX < PAD_W + OBJ_W
        lda objX
        clc
        adc #OBJ_W
        sec
        sbc padX
        beq .miss
        cmp #PAD_W+OBJ_W
        bcs .miss
        sed
        clc
        lda scoreLo
        adc #1
        sta scoreLo
        lda scoreHi
        adc #0
        sta scoreHi
        cld
        jmp .next
.miss   dec lives
        bne .next
        lda #1
        sta gameOver
.next   sed
        clc
        lda drops
        adc #1
        sta drops
        cld
        cmp #MAX_DROPS
        bne .more
        lda #1
        sta gameOver
.more   lda #0
        sta objY
        jsr NewBlockX
EndLogic:
.oswait lda INTIM
        bne .oswait
        sta WSYNC
        jmp Frame

; A new block column from the generator: 12 + (rand & $7F), i.e. 12..139.
NewBlockX:
        lda rand
        and #$7F
        clc
        adc #12
        sta objX
        rts

; Sets object X's horizontal position to A (0..159): coarse by RESPx after a divide-by-15 loop,
; fine by HMPx (applied by the HMOVE that follows). Ends within one scanline.
PosObject:
        sta WSYNC
        sec
.div    sbc #15
        bcs .div
        eor #7
        asl
        asl
        asl
        asl
        sta HMP0,x
        sta RESP0,x
        rts

; PF1 patterns for 0..3 lives: a bar 2 playfield bits (8 pixels) per life.
LivesBar:
        .byte %00000000, %11000000, %11110000, %11111100

        org $FFFC
        .word Start
        .word Start
