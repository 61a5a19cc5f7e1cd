#ifndef DOORSTEP_CEDITLINE_SHIM_H
#define DOORSTEP_CEDITLINE_SHIM_H

/* libedit (Debian: libedit-dev), the BSD line editor: doorstepctl's interactive session.
   el_set, el_get and history are variadic, which Swift cannot call: each use has a typed
   wrapper here. */

#include <stdio.h>
#include <wchar.h>
#include <histedit.h>

typedef char *(*doorstep_prompt_fn)(EditLine *);
typedef unsigned char (*doorstep_command_fn)(EditLine *, int);
typedef int (*doorstep_getc_fn)(EditLine *, wchar_t *);

/* An editor on the process's stdin, stdout and stderr. */
static inline EditLine *doorstep_el_open(const char *program) {
    return el_init(program, stdin, stdout, stderr);
}

/* The prompt; characters between two `ignore` characters are invisible (colour escapes). */
static inline int doorstep_el_prompt(EditLine *el, doorstep_prompt_fn fn, char ignore) {
    return el_set(el, EL_PROMPT_ESC, fn, ignore);
}

static inline int doorstep_el_editor(EditLine *el, const char *mode) { return el_set(el, EL_EDITOR, mode); }
static inline int doorstep_el_signal(EditLine *el, int on) { return el_set(el, EL_SIGNAL, on); }
static inline int doorstep_el_history(EditLine *el, History *h) { return el_set(el, EL_HIST, history, h); }
static inline int doorstep_el_getc(EditLine *el, doorstep_getc_fn fn) { return el_set(el, EL_GETCFN, fn); }
static inline int doorstep_el_refresh(EditLine *el) { return el_set(el, EL_REFRESH); }
/* Puts the terminal back in editing mode (after a stop and continue). */
static inline int doorstep_el_prep_terminal(EditLine *el, int on) { return el_set(el, EL_PREP_TERM, on); }

/* A named editor function, then a key bound to it. */
static inline int doorstep_el_add_function(EditLine *el, const char *name, const char *help, doorstep_command_fn fn) {
    return el_set(el, EL_ADDFN, name, help, fn);
}
static inline int doorstep_el_bind(EditLine *el, const char *key, const char *function) {
    return el_set(el, EL_BIND, key, function, (const char *)NULL);
}

static inline int doorstep_history_size(History *h, int size) {
    HistEvent ev;
    return history(h, &ev, H_SETSIZE, size);
}
static inline int doorstep_history_unique(History *h, int on) {
    HistEvent ev;
    return history(h, &ev, H_SETUNIQUE, on);
}
static inline int doorstep_history_enter(History *h, const char *line) {
    HistEvent ev;
    return history(h, &ev, H_ENTER, line);
}

#endif
