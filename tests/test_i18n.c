/* test_i18n.c -- unit tests for i18n.c: ICU's i18n library, opened at run
 * time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <unicode/ustring.h>

#include "i18n.h"

/* The library loads once, and the functions taken from it work: a
 * transliterator folds, the charset detector recognises 8-bit French. */
static void test_i18n_loads_once_and_works(void **state)
{
    dp_error err = DP_ERROR_INIT;
    const dp_i18n *a = dp_i18n_get(&err), *b = dp_i18n_get(NULL);
    static const struct {
        const char *in, *want;
    } fold[] = {
        { "forêt", "foret" },
        { "Œuvre", "OEuvre" },
        { "Σωκράτης", "Sokrates" },
    };

    (void)state;
    assert_non_null(a);
    assert_ptr_equal(a, b);
    for (size_t i = 0; i < sizeof fold / sizeof fold[0]; i++) {
        UErrorCode st = U_ZERO_ERROR;
        UParseError perr;
        UChar buf[64];
        char out[64];
        int32_t len = 0, limit, olen = 0;
        UTransliterator *t = a->trans_open(u"Any-Latin; Latin-ASCII", -1,
                                           UTRANS_FORWARD, NULL, 0, &perr,
                                           &st);

        assert_true(U_SUCCESS(st));
        u_strFromUTF8(buf, 64, &len, fold[i].in, -1, &st);
        limit = len;
        a->trans_uchars(t, buf, &len, 64, 0, &limit, &st);
        u_strToUTF8(out, sizeof out, &olen, buf, len, &st);
        assert_true(U_SUCCESS(st));
        out[olen] = '\0';
        assert_string_equal(out, fold[i].want);
        a->trans_close(t);
    }
    {
        static const char latin1[] =
            "L'\xe9t\xe9 o\xf9 la for\xeat br\xfbla, les \xe9l\xe8ves "
            "\xe9taient en vacances \xe0 la mer, pr\xe8s de l'\xeele.";
        UErrorCode st = U_ZERO_ERROR;
        UCharsetDetector *csd = a->csd_open(&st);
        const UCharsetMatch *m;
        const char *name;

        a->csd_set_text(csd, latin1, (int32_t)strlen(latin1), &st);
        m = a->csd_detect(csd, &st);
        assert_true(U_SUCCESS(st));
        assert_non_null(m);
        name = a->csd_name(m, &st);
        assert_true(strcmp(name, "ISO-8859-1") == 0 ||
                    strcmp(name, "windows-1252") == 0);
        assert_true(a->csd_confidence(m, &st) > 0);
        a->csd_close(csd);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_i18n_loads_once_and_works),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
