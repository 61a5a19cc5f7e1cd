// The CRC-32C instruction of SSE4.2: 8 bytes a cycle or so, against about one byte a cycle
// for the slicing-by-8 tables in Swift. perf put the table version at 29 % of start-up time
// with a 48 MB journal (every record's checksum is verified when it is read).
#include "crc32c_hw.h"
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>

int doorstep_crc32c_hw_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2");
}

__attribute__((target("sse4.2")))
uint32_t doorstep_crc32c_hw(uint32_t state, const void *p, size_t n) {
    const unsigned char *b = p;
    uint64_t c = state;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, b, 8);  // unaligned load, compiled to one mov
        c = _mm_crc32_u64(c, v);
        b += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n > 0) {
        c32 = _mm_crc32_u8(c32, *b++);
        n--;
    }
    return c32;
}
#else
int doorstep_crc32c_hw_available(void) { return 0; }
uint32_t doorstep_crc32c_hw(uint32_t state, const void *p, size_t n) { (void)p; (void)n; return state; }
#endif
