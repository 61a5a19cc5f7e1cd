#ifndef DOORSTEP_CSYSTEMD_SHIM_H
#define DOORSTEP_CSYSTEMD_SHIM_H

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <malloc.h>

/* struct ucred is hidden from Swift's Glibc module; same layout, for SO_PEERCRED. */
struct doorstep_ucred {
    pid_t pid;
    uid_t uid;
    gid_t gid;
};

/* glibc's malloc_trim (not in Swift's Glibc module): gives freed heap back to the system. */
static inline int doorstep_malloc_trim(void) { return malloc_trim(0); }

#endif
