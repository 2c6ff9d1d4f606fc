#ifndef UNSUP_CPU_FEATURES_H
#define UNSUP_CPU_FEATURES_H

/// 1 if the CPU running this process has AVX2 and FMA (x86-64 only; 0 elsewhere).
int unsup_cpu_has_avx2_fma(void);

#endif
