/*
 * i18n.h -- ICU's i18n library, loaded on first use.
 *
 * Two ICU services live in libicui18n: the transliterator (the analyzer
 * folds a character outside its build-time table with it, which is rare)
 * and the charset detector (the indexer sniffs a file that is not UTF-8).
 * Linking the library makes every process resolve its ~7,000 relocations
 * at start-up, about 0.9 ms, more than a search of a small index takes;
 * so it is opened with dlopen() the first time one of them is needed.
 */
#ifndef DEPECHE_I18N_H
#define DEPECHE_I18N_H

#include <unicode/ucsdet.h>
#include <unicode/utrans.h>

#include "depeche/error.h"

/* The functions used, with the types of their declarations. */
typedef struct dp_i18n {
    __typeof__(utrans_openU) *trans_open;
    __typeof__(utrans_close) *trans_close;
    __typeof__(utrans_transUChars) *trans_uchars;
    __typeof__(ucsdet_open) *csd_open;
    __typeof__(ucsdet_close) *csd_close;
    __typeof__(ucsdet_setText) *csd_set_text;
    __typeof__(ucsdet_detect) *csd_detect;
    __typeof__(ucsdet_getName) *csd_name;
    __typeof__(ucsdet_getConfidence) *csd_confidence;
} dp_i18n;

/** The library's functions, loading it the first time (thread-safe); NULL,
 * with DP_EICU in @p err (which may be NULL), if it cannot be loaded. */
const dp_i18n *dp_i18n_get(dp_error *err);

#endif
