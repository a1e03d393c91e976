/* Unit tests for the language choice of the citizen pages (gateway/src/i18n.c). */
#include "testlib.h"

#include <locale.h>
#include <string.h>

#include "core/util.h"
#include "i18n.h"

static const char *
pick(const char *ui_locales, const char *accept_language)
{
	return gw_lang_tag(gw_lang_choose(ui_locales, accept_language, "en"));
}

static void
test_accept_language(void **state)
{
	static const struct {
		const char *al, *want;
	} v[] = {
		{ "de-DE,de;q=0.9,en;q=0.8", "de" },
		{ "en;q=0.5, nl;q=0.9", "nl" },
		{ "fr;q=0", "en" },			/* q=0: not acceptable */
		{ "fr;q=0, de;q=0.1", "de" },
		{ "*;q=1, nl;q=0.5", "nl" },
		{ "nl ;q=0.9, de ; q=0.95", "de" },
		{ "en-GB;q=0.8, fr-CA;q=0.9", "fr" },
		{ "zz, nl;q=0.1", "nl" },
		{ "FR", "fr" },
		{ "nl;q=1.5", "en" },			/* not a qvalue */
		{ "de;q=abc, fr;q=0.1", "fr" },
		{ "de;q=0.5;x=1, fr;q=0.4", "de" },
		{ "nl;q=0.333, de;q=0.334", "de" },
		{ "de;q=1.000, fr", "de" },		/* equal weights: the first */
		/* RFC 9110 OWS is spaces and tabs */
		{ "\tnl", "nl" },
		{ "de;q=0.1,\tfr;q=0.2", "fr" },
		{ "de;q=0.1\t, nl", "nl" },
		{ "", "en" },
		{ ",,,", "en" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < EIDGW_ARRAY_LEN(v); i++)
		if (strcmp(pick(NULL, v[i].al), v[i].want) != 0)
			fail_msg("Accept-Language '%s': got %s, want %s", v[i].al,
			    pick(NULL, v[i].al), v[i].want);
	assert_string_equal(gw_lang_tag(gw_lang_choose(NULL, NULL, "nl")), "nl");
	assert_string_equal(gw_lang_tag(gw_lang_choose(NULL, "zz", "xx")), "en");
}

/* The weight does not depend on the process locale's decimal separator. */
static void
test_locale_independent(void **state)
{
	(void)state;
	if (setlocale(LC_NUMERIC, "de_DE.UTF-8") == NULL &&
	    setlocale(LC_NUMERIC, "fr_FR.UTF-8") == NULL)
		skip();
	assert_string_equal(pick(NULL, "en;q=0.4, de;q=0.5"), "de");
	(void)setlocale(LC_NUMERIC, "C");
}

static void
test_ui_locales(void **state)
{
	(void)state;
	/* ui_locales (OIDC) first: its first supported tag */
	assert_string_equal(pick("xx fr", "de"), "fr");
	assert_string_equal(pick("fr-CA", "de"), "fr");
	assert_string_equal(pick("  nl  ", "de"), "nl");
	assert_string_equal(pick("xx yy", "de"), "de");
	assert_int_equal(gw_lang_from_tag("de-AT", 5), GW_LANG_DE);
	assert_int_equal(gw_lang_from_tag("deu", 3), -1);
	assert_int_equal(gw_lang_from_tag("d", 1), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_language),
		cmocka_unit_test(test_locale_independent),
		cmocka_unit_test(test_ui_locales),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
