/* i18n.c - see i18n.h.  Texts are plain UTF-8; callers HTML-escape them. */
#include "i18n.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const tags[GW_LANG__COUNT] = { "en", "nl", "de", "fr" };
static const char *const names[GW_LANG__COUNT] = { "English", "Nederlands", "Deutsch", "Français" };

static const char *const texts[T__COUNT][GW_LANG__COUNT] = {
	[T_SELECT_TITLE] = { "Choose your country", "Kies uw land", "Wählen Sie Ihr Land",
	    "Choisissez votre pays" },
	[T_SELECT_INTRO] = {
	    "%s asks you to log in with the electronic identity of your country.",
	    "%s vraagt u in te loggen met de elektronische identiteit van uw land.",
	    "%s bittet Sie, sich mit der elektronischen Identität Ihres Landes anzumelden.",
	    "%s vous demande de vous connecter avec l'identité électronique de votre pays." },
	[T_SELECT_LEGEND] = { "Country that issued your eID", "Land dat uw eID heeft uitgegeven",
	    "Land, das Ihre eID ausgestellt hat", "Pays qui a délivré votre eID" },
	[T_SELECT_CONTINUE] = { "Continue", "Doorgaan", "Weiter", "Continuer" },
	[T_SELECT_NONE] = { "Please choose a country.", "Kies een land.",
	    "Bitte wählen Sie ein Land.", "Veuillez choisir un pays." },
	[T_UNAVAILABLE_LOA] = {
	    "Not available: this service needs a higher level of assurance than this country's eID provides.",
	    "Niet beschikbaar: deze dienst vraagt een hoger betrouwbaarheidsniveau dan de eID van dit land biedt.",
	    "Nicht verfügbar: Dieser Dienst verlangt ein höheres Vertrauensniveau, als die eID dieses Landes bietet.",
	    "Indisponible : ce service exige un niveau de garantie plus élevé que celui de l'eID de ce pays." },
	[T_UNAVAILABLE_DOWN] = { "Temporarily unavailable.", "Tijdelijk niet beschikbaar.",
	    "Vorübergehend nicht verfügbar.", "Temporairement indisponible." },
	[T_LANGUAGE] = { "Language", "Taal", "Sprache", "Langue" },
	[T_ERROR_TITLE] = { "Login not possible", "Inloggen niet mogelijk", "Anmeldung nicht möglich",
	    "Connexion impossible" },
	[T_ERROR_EXPIRED] = {
	    "Your login session has expired or is unknown. Please go back to the service and start again.",
	    "Uw inlogsessie is verlopen of onbekend. Ga terug naar de dienst en begin opnieuw.",
	    "Ihre Anmeldesitzung ist abgelaufen oder unbekannt. Bitte kehren Sie zum Dienst zurück und beginnen Sie neu.",
	    "Votre session de connexion a expiré ou est inconnue. Retournez au service et recommencez." },
	[T_ERROR_BAD_REQUEST] = {
	    "The request could not be understood. Please go back to the service and start again.",
	    "Het verzoek kon niet worden verwerkt. Ga terug naar de dienst en begin opnieuw.",
	    "Die Anfrage konnte nicht verarbeitet werden. Bitte kehren Sie zum Dienst zurück und beginnen Sie neu.",
	    "La demande n'a pas pu être traitée. Retournez au service et recommencez." },
	[T_ERROR_UNAVAILABLE] = {
	    "The login service is temporarily unavailable. Please try again in a few minutes.",
	    "De inlogdienst is tijdelijk niet beschikbaar. Probeer het over enkele minuten opnieuw.",
	    "Der Anmeldedienst ist vorübergehend nicht verfügbar. Bitte versuchen Sie es in einigen Minuten erneut.",
	    "Le service de connexion est temporairement indisponible. Réessayez dans quelques minutes." },
	[T_ERROR_INTERNAL] = {
	    "Something went wrong on our side. Please try again later.",
	    "Er ging iets mis aan onze kant. Probeer het later opnieuw.",
	    "Auf unserer Seite ist ein Fehler aufgetreten. Bitte versuchen Sie es später erneut.",
	    "Une erreur s'est produite de notre côté. Réessayez plus tard." },
	[T_ERROR_CLIENT] = {
	    "The service that sent you here is not known to us, or sent an invalid request. You have not been logged in.",
	    "De dienst die u hierheen stuurde is ons niet bekend of stuurde een ongeldig verzoek. U bent niet ingelogd.",
	    "Der Dienst, der Sie hierher geschickt hat, ist uns nicht bekannt oder hat eine ungültige Anfrage gesendet. Sie wurden nicht angemeldet.",
	    "Le service qui vous a envoyé ici nous est inconnu ou a envoyé une demande invalide. Vous n'êtes pas connecté." },
	[T_ERROR_CSRF] = {
	    "This form has expired. Please go back to the service and start again.",
	    "Dit formulier is verlopen. Ga terug naar de dienst en begin opnieuw.",
	    "Dieses Formular ist abgelaufen. Bitte kehren Sie zum Dienst zurück und beginnen Sie neu.",
	    "Ce formulaire a expiré. Retournez au service et recommencez." },
	[T_REFERENCE] = { "Reference for support", "Referentie voor ondersteuning",
	    "Referenz für den Support", "Référence pour l'assistance" },
	[T_REDIRECT_TITLE] = { "Continuing to your country's login", "Door naar de login van uw land",
	    "Weiter zur Anmeldung Ihres Landes", "Vers la connexion de votre pays" },
	[T_REDIRECT_CONTINUE] = { "Continue", "Doorgaan", "Weiter", "Continuer" },
};

const char *
gw_text(enum gw_lang lang, enum gw_text t)
{
	if ((unsigned int)lang >= GW_LANG__COUNT)
		lang = GW_LANG_EN;
	if ((unsigned int)t >= T__COUNT || texts[t][lang] == NULL)
		return "";
	return texts[t][lang];
}

const char *
gw_lang_tag(enum gw_lang lang)
{
	return (unsigned int)lang < GW_LANG__COUNT ? tags[lang] : "en";
}

const char *
gw_lang_name(enum gw_lang lang)
{
	return (unsigned int)lang < GW_LANG__COUNT ? names[lang] : names[0];
}

int
gw_lang_from_tag(const char *tag, size_t len)
{
	int i;

	/* the primary subtag decides: "de-AT" is German */
	if (len < 2 || (len > 2 && tag[2] != '-' && tag[2] != '_'))
		return -1;
	for (i = 0; i < GW_LANG__COUNT; i++)
		if (strncasecmp(tag, tags[i], 2) == 0)
			return i;
	return -1;
}

static bool
ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * The q-value of an Accept-Language item ("de;q=0.7") in thousandths; 1000
 * without one.  RFC 9110 12.4.2: qvalue = "0" [ "." 0*3DIGIT ] /
 * "1" [ "." 0*3("0") ], after optional whitespace around ';'.  Anything
 * else counts as 0 (not acceptable).  Parsed by hand: strtod would follow
 * the process locale's decimal separator.
 */
static int
item_q(const char *s, size_t len)
{
	const char *q = memchr(s, ';', len), *e = s + len;
	int v, i;

	if (q == NULL)
		return 1000;
	for (q++; q < e && ows(*q); q++)
		;
	if (e - q < 3 || (q[0] != 'q' && q[0] != 'Q') || q[1] != '=' ||
	    (q[2] != '0' && q[2] != '1'))
		return 0;
	v = (q[2] - '0') * 1000;
	q += 3;
	if (q < e && *q == '.') {
		for (q++, i = 100; q < e && i > 0 && *q >= '0' && *q <= '9'; q++, i /= 10)
			v += (*q - '0') * i;
	}
	while (q < e && ows(*q))
		q++;
	return (q == e || *q == ';') && v <= 1000 ? v : 0;
}

enum gw_lang
gw_lang_choose(const char *ui_locales, const char *accept_language, const char *default_tag)
{
	const char *p, *e;
	int l, q, best = -1, best_q = 0;
	size_t n;

	for (p = ui_locales; p != NULL && *p != '\0'; p = e) {
		while (*p == ' ')
			p++;
		for (e = p; *e != '\0' && *e != ' '; e++)
			;
		if (e > p && (l = gw_lang_from_tag(p, (size_t)(e - p))) >= 0)
			return (enum gw_lang)l;
	}
	for (p = accept_language; p != NULL && *p != '\0'; p = *e == ',' ? e + 1 : e) {
		while (ows(*p))
			p++;
		for (e = p; *e != '\0' && *e != ','; e++)
			;
		n = (size_t)(e - p);
		q = item_q(p, n);
		if ((l = gw_lang_from_tag(p, strcspn(p, ";, \t"))) >= 0 && q > best_q) {
			best_q = q;
			best = l;
		}
	}
	if (best >= 0)
		return (enum gw_lang)best;
	if (default_tag != NULL && (l = gw_lang_from_tag(default_tag, strlen(default_tag))) >= 0)
		return (enum gw_lang)l;
	return GW_LANG_EN;
}
