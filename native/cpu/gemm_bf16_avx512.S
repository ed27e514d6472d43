# bf16 x bf16 -> f32 GEMM microkernel for CPUs with AVX512_BF16 (VDPBF16PS), 12 rows x 32 columns.
#
# .NET has no VDPBF16PS intrinsic, so this is machine code: build-bf16-kernel.sh assembles this file and writes the
# bytes into src/Runtime/Cpu/MatMul/Bf16/Bf16KernelCode.cs, which the engine copies into an executable page at run
# time. A test re-assembles this file and checks the committed bytes match.
#
# void kernel(int64 kpairs, const uint32* a, const uint32* b, float* c, int64 ldc, float alpha, float beta)
#   (System V AMD64: rdi, rsi, rdx, rcx, r8, xmm0, xmm1)
#   a: packed A, for each k-pair 12 dwords (row r: bf16 a[r,2p] HIGH half, a[r,2p+1] low half)
#   b: packed B, for each k-pair 32 dwords (column j: bf16 b[2p,j] HIGH half, b[2p+1,j] low half)
#   c: 12 rows of 32 floats, row stride ldc floats.  C = alpha*acc + beta*C; beta == 0 never reads C.
# Why k = 2p sits in the high half: VDPBF16PS adds the high-half product to the accumulator first, then the low-half
# one, rounding after each (products of bf16 values are exact). With k = 2p high, the sums run k = 0, 1, 2, ... one
# rounding per term, exactly the f32 FMA kernel's order, so both paths give the same bytes on bf16-exact inputs.
# The beta != 0 epilogue computes fma(acc, alpha, beta*C), as the f32 kernel does (VFma.Update), for the same reason.
# alpha and beta are broadcast into zmm26/zmm27 first: xmm0/xmm1 become accumulators.
# Accumulators: zmm0..zmm23 (row r: zmm(2r) columns 0-15, zmm(2r+1) columns 16-31); B in zmm24/25; A pairs broadcast
# into zmm28..zmm31 in turn, each used for both halves of its row: a {1to16} memory operand on every VDPBF16PS loaded
# each A pair twice (26 loads per k-pair instead of 14).
# Position independent: no data, no absolute addresses, only relative jumps. Uses only caller-saved registers.

        .text
        .globl  engine_gemm_bf16_12x32
engine_gemm_bf16_12x32:
        vbroadcastss %xmm0, %zmm26
        vbroadcastss %xmm1, %zmm27
        shlq    $2, %r8
        # Pull the C tile toward L1 now (both 64-byte halves of each row): it is read or written only after the k loop,
        # which hides the miss; without it every later K block's epilogue waited on C from L3 or memory.
        movq    %rcx, %rax
        prefetcht0 (%rax)
        prefetcht0 64(%rax)
        addq    %r8, %rax
        prefetcht0 (%rax)
        prefetcht0 64(%rax)
        addq    %r8, %rax
        prefetcht0 (%rax)
        prefetcht0 64(%rax)
        addq    %r8, %rax
        prefetcht0 (%rax)
        prefetcht0 64(%rax)
        addq    %r8, %rax
        prefetcht0 (%rax)
        prefetcht0 64(%rax)
        addq    %r8, %rax
        prefetcht0 (%rax)
        prefetcht0 64(%rax)
        addq    %r8, %rax
        prefetcht0 (%rax)
        prefetcht0 64(%rax)
        addq    %r8, %rax
        prefetcht0 (%rax)
        prefetcht0 64(%rax)
        addq    %r8, %rax
        prefetcht0 (%rax)
        prefetcht0 64(%rax)
        addq    %r8, %rax
        prefetcht0 (%rax)
        prefetcht0 64(%rax)
        addq    %r8, %rax
        prefetcht0 (%rax)
        prefetcht0 64(%rax)
        addq    %r8, %rax
        prefetcht0 (%rax)
        prefetcht0 64(%rax)
        vpxord  %zmm0, %zmm0, %zmm0
        vpxord  %zmm1, %zmm1, %zmm1
        vpxord  %zmm2, %zmm2, %zmm2
        vpxord  %zmm3, %zmm3, %zmm3
        vpxord  %zmm4, %zmm4, %zmm4
        vpxord  %zmm5, %zmm5, %zmm5
        vpxord  %zmm6, %zmm6, %zmm6
        vpxord  %zmm7, %zmm7, %zmm7
        vpxord  %zmm8, %zmm8, %zmm8
        vpxord  %zmm9, %zmm9, %zmm9
        vpxord  %zmm10, %zmm10, %zmm10
        vpxord  %zmm11, %zmm11, %zmm11
        vpxord  %zmm12, %zmm12, %zmm12
        vpxord  %zmm13, %zmm13, %zmm13
        vpxord  %zmm14, %zmm14, %zmm14
        vpxord  %zmm15, %zmm15, %zmm15
        vpxord  %zmm16, %zmm16, %zmm16
        vpxord  %zmm17, %zmm17, %zmm17
        vpxord  %zmm18, %zmm18, %zmm18
        vpxord  %zmm19, %zmm19, %zmm19
        vpxord  %zmm20, %zmm20, %zmm20
        vpxord  %zmm21, %zmm21, %zmm21
        vpxord  %zmm22, %zmm22, %zmm22
        vpxord  %zmm23, %zmm23, %zmm23
        testq   %rdi, %rdi
        jle     2f
1:
        vmovups (%rdx), %zmm24
        vmovups 64(%rdx), %zmm25
        vpbroadcastd 0(%rsi), %zmm28
        vdpbf16ps %zmm28, %zmm24, %zmm0
        vdpbf16ps %zmm28, %zmm25, %zmm1
        vpbroadcastd 4(%rsi), %zmm29
        vdpbf16ps %zmm29, %zmm24, %zmm2
        vdpbf16ps %zmm29, %zmm25, %zmm3
        vpbroadcastd 8(%rsi), %zmm30
        vdpbf16ps %zmm30, %zmm24, %zmm4
        vdpbf16ps %zmm30, %zmm25, %zmm5
        vpbroadcastd 12(%rsi), %zmm31
        vdpbf16ps %zmm31, %zmm24, %zmm6
        vdpbf16ps %zmm31, %zmm25, %zmm7
        vpbroadcastd 16(%rsi), %zmm28
        vdpbf16ps %zmm28, %zmm24, %zmm8
        vdpbf16ps %zmm28, %zmm25, %zmm9
        vpbroadcastd 20(%rsi), %zmm29
        vdpbf16ps %zmm29, %zmm24, %zmm10
        vdpbf16ps %zmm29, %zmm25, %zmm11
        vpbroadcastd 24(%rsi), %zmm30
        vdpbf16ps %zmm30, %zmm24, %zmm12
        vdpbf16ps %zmm30, %zmm25, %zmm13
        vpbroadcastd 28(%rsi), %zmm31
        vdpbf16ps %zmm31, %zmm24, %zmm14
        vdpbf16ps %zmm31, %zmm25, %zmm15
        vpbroadcastd 32(%rsi), %zmm28
        vdpbf16ps %zmm28, %zmm24, %zmm16
        vdpbf16ps %zmm28, %zmm25, %zmm17
        vpbroadcastd 36(%rsi), %zmm29
        vdpbf16ps %zmm29, %zmm24, %zmm18
        vdpbf16ps %zmm29, %zmm25, %zmm19
        vpbroadcastd 40(%rsi), %zmm30
        vdpbf16ps %zmm30, %zmm24, %zmm20
        vdpbf16ps %zmm30, %zmm25, %zmm21
        vpbroadcastd 44(%rsi), %zmm31
        vdpbf16ps %zmm31, %zmm24, %zmm22
        vdpbf16ps %zmm31, %zmm25, %zmm23
        addq    $48, %rsi
        addq    $128, %rdx
        decq    %rdi
        jnz     1b
2:
        vxorps  %xmm28, %xmm28, %xmm28
        vucomiss %xmm28, %xmm27
        jne     4f
        jp      4f
        # beta == 0: C = alpha*acc
        vmulps  %zmm26, %zmm0, %zmm0
        vmovups %zmm0, 0(%rcx)
        vmulps  %zmm26, %zmm1, %zmm1
        vmovups %zmm1, 64(%rcx)
        addq    %r8, %rcx
        vmulps  %zmm26, %zmm2, %zmm2
        vmovups %zmm2, 0(%rcx)
        vmulps  %zmm26, %zmm3, %zmm3
        vmovups %zmm3, 64(%rcx)
        addq    %r8, %rcx
        vmulps  %zmm26, %zmm4, %zmm4
        vmovups %zmm4, 0(%rcx)
        vmulps  %zmm26, %zmm5, %zmm5
        vmovups %zmm5, 64(%rcx)
        addq    %r8, %rcx
        vmulps  %zmm26, %zmm6, %zmm6
        vmovups %zmm6, 0(%rcx)
        vmulps  %zmm26, %zmm7, %zmm7
        vmovups %zmm7, 64(%rcx)
        addq    %r8, %rcx
        vmulps  %zmm26, %zmm8, %zmm8
        vmovups %zmm8, 0(%rcx)
        vmulps  %zmm26, %zmm9, %zmm9
        vmovups %zmm9, 64(%rcx)
        addq    %r8, %rcx
        vmulps  %zmm26, %zmm10, %zmm10
        vmovups %zmm10, 0(%rcx)
        vmulps  %zmm26, %zmm11, %zmm11
        vmovups %zmm11, 64(%rcx)
        addq    %r8, %rcx
        vmulps  %zmm26, %zmm12, %zmm12
        vmovups %zmm12, 0(%rcx)
        vmulps  %zmm26, %zmm13, %zmm13
        vmovups %zmm13, 64(%rcx)
        addq    %r8, %rcx
        vmulps  %zmm26, %zmm14, %zmm14
        vmovups %zmm14, 0(%rcx)
        vmulps  %zmm26, %zmm15, %zmm15
        vmovups %zmm15, 64(%rcx)
        addq    %r8, %rcx
        vmulps  %zmm26, %zmm16, %zmm16
        vmovups %zmm16, 0(%rcx)
        vmulps  %zmm26, %zmm17, %zmm17
        vmovups %zmm17, 64(%rcx)
        addq    %r8, %rcx
        vmulps  %zmm26, %zmm18, %zmm18
        vmovups %zmm18, 0(%rcx)
        vmulps  %zmm26, %zmm19, %zmm19
        vmovups %zmm19, 64(%rcx)
        addq    %r8, %rcx
        vmulps  %zmm26, %zmm20, %zmm20
        vmovups %zmm20, 0(%rcx)
        vmulps  %zmm26, %zmm21, %zmm21
        vmovups %zmm21, 64(%rcx)
        addq    %r8, %rcx
        vmulps  %zmm26, %zmm22, %zmm22
        vmovups %zmm22, 0(%rcx)
        vmulps  %zmm26, %zmm23, %zmm23
        vmovups %zmm23, 64(%rcx)
        vzeroupper
        ret
4:      # C = alpha*acc + beta*C
        vmulps  0(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm0
        vmovups %zmm0, 0(%rcx)
        vmulps  64(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm1
        vmovups %zmm1, 64(%rcx)
        addq    %r8, %rcx
        vmulps  0(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm2
        vmovups %zmm2, 0(%rcx)
        vmulps  64(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm3
        vmovups %zmm3, 64(%rcx)
        addq    %r8, %rcx
        vmulps  0(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm4
        vmovups %zmm4, 0(%rcx)
        vmulps  64(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm5
        vmovups %zmm5, 64(%rcx)
        addq    %r8, %rcx
        vmulps  0(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm6
        vmovups %zmm6, 0(%rcx)
        vmulps  64(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm7
        vmovups %zmm7, 64(%rcx)
        addq    %r8, %rcx
        vmulps  0(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm8
        vmovups %zmm8, 0(%rcx)
        vmulps  64(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm9
        vmovups %zmm9, 64(%rcx)
        addq    %r8, %rcx
        vmulps  0(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm10
        vmovups %zmm10, 0(%rcx)
        vmulps  64(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm11
        vmovups %zmm11, 64(%rcx)
        addq    %r8, %rcx
        vmulps  0(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm12
        vmovups %zmm12, 0(%rcx)
        vmulps  64(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm13
        vmovups %zmm13, 64(%rcx)
        addq    %r8, %rcx
        vmulps  0(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm14
        vmovups %zmm14, 0(%rcx)
        vmulps  64(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm15
        vmovups %zmm15, 64(%rcx)
        addq    %r8, %rcx
        vmulps  0(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm16
        vmovups %zmm16, 0(%rcx)
        vmulps  64(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm17
        vmovups %zmm17, 64(%rcx)
        addq    %r8, %rcx
        vmulps  0(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm18
        vmovups %zmm18, 0(%rcx)
        vmulps  64(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm19
        vmovups %zmm19, 64(%rcx)
        addq    %r8, %rcx
        vmulps  0(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm20
        vmovups %zmm20, 0(%rcx)
        vmulps  64(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm21
        vmovups %zmm21, 64(%rcx)
        addq    %r8, %rcx
        vmulps  0(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm22
        vmovups %zmm22, 0(%rcx)
        vmulps  64(%rcx), %zmm27, %zmm28
        vfmadd213ps %zmm28, %zmm26, %zmm23
        vmovups %zmm23, 64(%rcx)
        vzeroupper
        ret
