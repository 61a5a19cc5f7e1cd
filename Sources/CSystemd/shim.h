#ifndef DOORSTEP_CSYSTEMD_SHIM_H
#define DOORSTEP_CSYSTEMD_SHIM_H

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/types.h>
#include <sys/uio.h>

/* struct ucred is hidden from Swift's Glibc module; same layout, for SO_PEERCRED. */
struct doorstep_ucred {
    pid_t pid;
    uid_t uid;
    gid_t gid;
};

#endif
