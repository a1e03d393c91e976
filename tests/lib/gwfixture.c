/* gwfixture.c - see gwfixture.h. */
#include "gwfixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testlib.h"

const char *
gwf_pki(void)
{
	static char dir[4096];
	char cmd[8192];

	if (dir[0] != '\0')
		return dir;
	(void)snprintf(dir, sizeof(dir), "%s/test-pki", EIDGW_BINARY_DIR);
	(void)snprintf(cmd, sizeof(cmd), "flock %s.lock %s/certs/mkdev.sh %s >/dev/null", dir,
	    EIDGW_SOURCE_DIR, dir);
	if (system(cmd) != 0) {
		dir[0] = '\0';
		return NULL;
	}
	return dir;
}

int
gwf_write_gateway_yaml(const char *dir, const char *server_extra, const char *tail_extra)
{
	const char *pki = gwf_pki();
	char *yaml = NULL;
	int n, rc;

	if (pki == NULL)
		return -1;
	n = asprintf(&yaml,
	    "server:\n"
	    "%s"
	    "%s"
	    "keys:\n"
	    "  saml_signing:\n"
	    "    key: %s/saml-signing.key\n"
	    "    cert: %s/saml-signing.crt\n"
	    "  saml_encryption:\n"
	    "    - key: %s/saml-encryption.key\n"
	    "      cert: %s/saml-encryption.crt\n"
	    "  oidc:\n"
	    "    - kid: es256-1\n"
	    "      alg: ES256\n"
	    "      key: %s/oidc-es256.key\n"
	    "      status: active\n"
	    "  pairwise_key: %s/pairwise.key\n"
	    "store:\n"
	    "  backend: memory\n"
	    "audit:\n"
	    "  enabled: false\n"
	    "log:\n"
	    "  level: warning\n"
	    "%s",
	    server_extra != NULL && strstr(server_extra, "public_url:") != NULL ? "" :
	    "  public_url: http://127.0.0.1:8080\n",
	    server_extra != NULL ? server_extra : "", pki, pki, pki, pki, pki, pki,
	    tail_extra != NULL ? tail_extra : "");
	if (n < 0)
		return -1;
	rc = tl_write_file(tl_path(dir, "gateway.yaml"), yaml, strlen(yaml));
	free(yaml);
	return rc;
}

char *
gwf_config_dir(const char *server_extra, const char *tail_extra)
{
	char *dir = tl_mkdtemp();

	if (dir == NULL)
		return NULL;
	if (mkdir(tl_path(dir, "clients"), 0700) != 0 ||
	    mkdir(tl_path(dir, "countries"), 0700) != 0 ||
	    gwf_write_gateway_yaml(dir, server_extra, tail_extra) != 0) {
		tl_rmtree(dir);
		free(dir);
		return NULL;
	}
	return dir;
}
