/*
 * lib/lossy/lossy.h — the lossy mode inside the library (public API:
 * include/lmz_lossy.h).
 */
#ifndef LMZ_LOSSY_INTERNAL_H
#define LMZ_LOSSY_INTERNAL_H

#include "lmz_lossy.h"

#endif /* LMZ_LOSSY_INTERNAL_H */
