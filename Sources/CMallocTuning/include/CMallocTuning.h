#ifndef C_MALLOC_TUNING_H
#define C_MALLOC_TUNING_H

/// Sets glibc's trim threshold (M_TRIM_THRESHOLD): free memory at the top of a heap is given back to the system only
/// beyond this many bytes. Returns 1 on success, 0 on failure or where there is no glibc.
int fastchat_set_malloc_trim_threshold(int bytes);

#endif
