/* saml.h - public entry points of the saml/ library. */
#ifndef EIDGW_SAML_H
#define EIDGW_SAML_H

const char *saml_version(void);

#endif
