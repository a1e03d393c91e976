/*
 * gwfixture.h - builds a throwaway gateway configuration for tests: a
 * development PKI made once per build tree by certs/mkdev.sh (under a file
 * lock, so parallel tests share it), and a config directory in /tmp with a
 * gateway.yaml whose server section the test chooses.
 */
#ifndef EIDGW_GWFIXTURE_H
#define EIDGW_GWFIXTURE_H

#include <stddef.h>

/* The shared test PKI directory (made on first use); NULL on failure. */
const char *gwf_pki(void);

/*
 * Writes DIR/gateway.yaml (and empty clients/ and countries/ folders)
 * with the given extra YAML appended to the server section (indented
 * two spaces by the caller) and the rest of the file from a template.
 * Returns a new temp dir path (free it, remove with tl_rmtree) or NULL.
 */
char *gwf_config_dir(const char *server_extra, const char *tail_extra);
/* Rewrites DIR/gateway.yaml the same way (for reload tests). */
int gwf_write_gateway_yaml(const char *dir, const char *server_extra, const char *tail_extra);

#endif
