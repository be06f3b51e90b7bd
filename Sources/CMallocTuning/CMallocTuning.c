#include "CMallocTuning.h"
#include <stdlib.h>  // defines __GLIBC__ where the C library is glibc

#if defined(__GLIBC__)
#include <malloc.h>

int fastchat_set_malloc_trim_threshold(int bytes) {
    return mallopt(M_TRIM_THRESHOLD, bytes);
}
#else
int fastchat_set_malloc_trim_threshold(int bytes) {
    (void)bytes;
    return 0;
}
#endif
