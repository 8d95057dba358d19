/* i18n.c -- ICU's i18n library, loaded on first use (see i18n.h). */
#include "i18n.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include <unicode/uvernum.h>

/* The library of the ICU the program was built with, and its symbols under
 * their versioned names (utrans_openU is utrans_openU_72 with ICU 72). */
#define I18N_LIB "libicui18n.so." U_ICU_VERSION_SHORT
#define SYM_NAME_(f) #f
#define SYM_NAME(f) SYM_NAME_(f)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static dp_i18n fns;
static const dp_i18n *loaded;
static char why[256];

static void *sym(void *lib, const char *name, bool *ok)
{
    void *p = dlsym(lib, name);

    if (p == NULL && *ok) {
        snprintf(why, sizeof why, "%s: no symbol %s", I18N_LIB, name);
        *ok = false;
    }
    return p;
}

/* Set a function pointer from the symbol of the same function. */
#define LOAD(field, f) \
    (*(void **)&fns.field = sym(lib, SYM_NAME(f), &ok))

static void load(void)
{
    void *lib = dlopen(I18N_LIB, RTLD_NOW | RTLD_LOCAL);
    bool ok = true;

    if (lib == NULL) {
        const char *e = dlerror();
        snprintf(why, sizeof why, "%s", e ? e : I18N_LIB ": cannot load");
        return;
    }
    LOAD(trans_open, utrans_openU);
    LOAD(trans_close, utrans_close);
    LOAD(trans_uchars, utrans_transUChars);
    LOAD(csd_open, ucsdet_open);
    LOAD(csd_close, ucsdet_close);
    LOAD(csd_set_text, ucsdet_setText);
    LOAD(csd_detect, ucsdet_detect);
    LOAD(csd_name, ucsdet_getName);
    LOAD(csd_confidence, ucsdet_getConfidence);
    /* The library stays loaded for the life of the process. */
    if (ok)
        loaded = &fns;
}

const dp_i18n *dp_i18n_get(dp_error *err)
{
    pthread_once(&once, load);
    if (loaded == NULL && err != NULL)
        dp_error_set(err, DP_EICU, "ICU i18n library: %s", why);
    return loaded;
}
