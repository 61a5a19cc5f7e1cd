#ifndef DOORSTEP_CRC32C_HW_H
#define DOORSTEP_CRC32C_HW_H
#include <stddef.h>
#include <stdint.h>

/// Whether this CPU has the CRC-32C instruction (x86-64 SSE4.2): checked once at run time, so
/// one binary runs everywhere and takes the fast path where it can.
int doorstep_crc32c_hw_available(void);

/// CRC-32C of `n` bytes at `p` continuing from the raw register `state` (the caller inverts
/// before and after, as the table version does). Only call when available.
uint32_t doorstep_crc32c_hw(uint32_t state, const void *p, size_t n);

#endif
