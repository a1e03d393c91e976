/* fuzz-lib: eidgw_gw */
/*
 * fuzz_audit_verify.c - the audit-log verifier core (what eidgw-audit verify
 * and the writer's recovery on open run over a file): the input is split
 * into lines and fed to gw_audit_vstate_feed until the first rejection, once
 * without a key and once with a fixed Ed25519 public key; the whole input is
 * also tried as a checkpoint object (as in a proof file).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "audit_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
feed_all(const uint8_t *data, size_t size, EVP_PKEY *pub)
{
	struct gw_audit_vstate vs;
	struct eidgw_diag d = { 0 };
	size_t start = 0, i;

	gw_audit_vstate_init(&vs, pub);
	gw_audit_vstate_begin_file(&vs, "audit-000001.log");
	for (i = 0; i < size; i++) {
		if (data[i] != '\n')
			continue;
		vs.line++;
		if (gw_audit_vstate_feed(&vs, (const char *)data + start, i - start, NULL, &d) != EIDGW_OK)
			return;
		start = i + 1;
		/* A second file in the same input: "\n\n" starts one. */
		if (i + 1 < size && data[i + 1] == '\n') {
			gw_audit_vstate_begin_file(&vs, "audit-000002.log");
			start = ++i + 1;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char raw[32] = {
		0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64,
		0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68,
		0xf7, 0x07, 0x51, 0x1a,
	};
	EVP_PKEY *pub;
	json_error_t je;
	json_t *j;
	gw_hash root;
	uint64_t n;

	if (size > 4 * GW_AUDIT_MAX_LINE)
		return 0;
	pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, sizeof(raw));
	feed_all(data, size, NULL);
	feed_all(data, size, pub);
	if ((j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je)) != NULL) {
		if (gw_audit_cp_check(j, pub, &n, root, NULL) == EIDGW_OK && n > UINT64_MAX / 2)
			abort();	/* size is checked to be < 2^63 */
		json_decref(j);
	}
	EVP_PKEY_free(pub);
	return 0;
}
