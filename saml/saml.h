/*
 * saml.h - public entry points of the saml/ library (the umbrella header
 * the gateway and the eidas-saml connector include).
 *
 *   authnrequest.h  eIDAS AuthnRequest build/sign
 *   binding.h       HTTP-POST form, HTTP-Redirect encode/decode/verify
 *   response.h      Response validation (digest 2, checks 1-17)
 *   attributes.h    eIDAS attribute profile -> struct saml_identity
 *   metadata.h      our SP metadata out, IdP metadata in (verified)
 *   xml.h           saml_library_init() / saml_library_cleanup()
 */
#ifndef EIDGW_SAML_H
#define EIDGW_SAML_H

#include "saml/attributes.h"
#include "saml/authnrequest.h"
#include "saml/binding.h"
#include "saml/metadata.h"
#include "saml/response.h"
#include "saml/xml.h"

const char *saml_version(void);

#endif
