#include <cblas.h>

// LAPACK's symmetric eigensolver (divide and conquer), from OpenBLAS's bundled LAPACK;
// the Fortran ABI: every argument by reference, the two one-character options' hidden
// lengths passed explicitly.
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w, double *work,
             const int *lwork, int *iwork, const int *liwork, int *info, size_t jobz_length, size_t uplo_length);
