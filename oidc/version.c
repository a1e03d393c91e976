/* version.c - the oidc/ library's version string. */
#include "oidc/oidc.h"

const char *
oidc_version(void)
{
	return "eidgw-oidc 0.1";
}
