#ifndef SWEEP_COPENBLAS_SHIM_H
#define SWEEP_COPENBLAS_SHIM_H
// Debian's libopenblas-dev installs OpenBLAS's cblas.h (with openblas_set_num_threads)
// as /usr/include/<triplet>/cblas.h through update-alternatives.
#include <cblas.h>
#endif
