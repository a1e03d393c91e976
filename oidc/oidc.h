/* oidc.h - public entry points of the oidc/ library. */
#ifndef EIDGW_OIDC_H
#define EIDGW_OIDC_H

const char *oidc_version(void);

#endif
