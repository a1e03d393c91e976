/* version.c - the saml/ library's version string. */
#include "saml/saml.h"

const char *
saml_version(void)
{
	return "eidgw-saml 0.1";
}
