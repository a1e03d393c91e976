/*
 * i18n.h - the citizen-facing texts (selector and error pages) in English,
 * Dutch, German and French, and the choice of language: the OIDC
 * ui_locales first, then Accept-Language, then the configured default.
 */
#ifndef EIDGW_GW_I18N_H
#define EIDGW_GW_I18N_H

#include <stddef.h>

enum gw_lang {
	GW_LANG_EN = 0,
	GW_LANG_NL,
	GW_LANG_DE,
	GW_LANG_FR,
	GW_LANG__COUNT
};

enum gw_text {
	T_SELECT_TITLE,
	T_SELECT_INTRO,		/* %s: the service's name */
	T_SELECT_LEGEND,
	T_SELECT_CONTINUE,
	T_SELECT_NONE,
	T_UNAVAILABLE_LOA,
	T_UNAVAILABLE_DOWN,
	T_LANGUAGE,
	T_ERROR_TITLE,
	T_ERROR_EXPIRED,
	T_ERROR_BAD_REQUEST,
	T_ERROR_UNAVAILABLE,
	T_ERROR_INTERNAL,
	T_ERROR_CLIENT,
	T_ERROR_CSRF,
	T_REFERENCE,
	T_REDIRECT_TITLE,
	T_REDIRECT_CONTINUE,
	T__COUNT
};

const char *gw_text(enum gw_lang lang, enum gw_text t);
const char *gw_lang_tag(enum gw_lang lang);
const char *gw_lang_name(enum gw_lang lang);	/* in its own language */
/* Parses a tag ("de", "de-AT", "NL"); -1 when not supported. */
int gw_lang_from_tag(const char *tag, size_t len);
/*
 * Picks the language: the first supported tag of ui_locales (space
 * separated), else the best of Accept-Language (q-values honoured), else
 * the default tag, else English.
 */
enum gw_lang gw_lang_choose(const char *ui_locales, const char *accept_language,
    const char *default_tag);

#endif
