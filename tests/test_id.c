/* SPDX-License-Identifier: MIT */
/*
 * test_id.c - twin IDs: validation, GS1 canonical keys, namespaces.
 *
 * Expected keys are GS1 element strings from the TDS examples (sections 6
 * and 7), with check digits worked out by hand, never copied from the code
 * under test.
 */
#include "test.h"

#include <stdio.h>
#include <string.h>

#define ITEM  WB_ID_GS1_ITEM
#define CLASS WB_ID_GS1_CLASS
#define PARTY WB_ID_GS1_PARTY
#define EPCO  WB_ID_EPC_OTHER
#define OTHER WB_ID_OTHER

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

struct keyed {
	const char *id;
	const char *key;
	wb_id_kind kind;
};

/* Parses an ID that must be accepted; the key obeys the header's bound. */
static wb_twin_id
parse_ok(const char *id, size_t len)
{
	wb_twin_id t;
	wb_problem p = { 0 };
	wb_err rc = wb_id_parse(&t, id, len, &p);

	if (rc != WB_OK) {
		print_message("refused: %s\n", p.msg);
	}
	assert_int_equal(rc, WB_OK);
	assert_int_equal(t.key_len, strlen(t.key));
	assert_true(t.key_len <= len);
	assert_true(t.key_len <= WB_KEY_MAX);
	return t;
}

static void
assert_keyed(const char *id, const char *key, wb_id_kind kind)
{
	wb_twin_id t = parse_ok(id, strlen(id));

	if (strcmp(t.key, key) != 0 || t.kind != kind) {
		print_message("id %s\n", id);
	}
	assert_string_equal(t.key, key);
	assert_int_equal(t.kind, kind);
}

static void
assert_keyed_all(const struct keyed *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_keyed(k[i].id, k[i].key, k[i].kind);
	}
}

/* Refused as a bad ID, with a message that contains hint. */
static void
assert_refused_len(const char *id, size_t len, const char *hint)
{
	wb_twin_id t;
	wb_problem p = { 0 };

	if (wb_id_parse(&t, id, len, &p) != WB_EREJECTED) {
		print_message("accepted: %.*s\n", (int)len, id);
		fail();
	}
	assert_int_equal(p.reason, WB_REJECT_BAD_ID);
	if (strstr(p.msg, hint) == NULL) {
		print_message("message \"%s\" lacks \"%s\"\n", p.msg, hint);
		fail();
	}
	assert_string_equal(t.key, "");
	assert_int_equal(t.key_len, 0);
}

static void
assert_refused(const char *id, const char *hint)
{
	assert_refused_len(id, strlen(id), hint);
}

static void
assert_as_given(const char *id, size_t len)
{
	wb_twin_id t = parse_ok(id, len);

	assert_int_equal(t.kind, WB_ID_OTHER);
	assert_int_equal(t.key_len, len);
	assert_memory_equal(t.key, id, len);
}

static void
assert_as_given_str(const char *id)
{
	assert_as_given(id, strlen(id));
}

/* Every EPC and Digital Link ID of ../shared/data/epcis/examples (GS1's
 * EPCIS 2.0 examples and openepcis-test-resources), copied here. */
static const char *const epcis_example_ids[] = {
	"urn:epc:class:lgtin:0614141.077777.987",
	"urn:epc:class:lgtin:4012345.005555.456",
	"urn:epc:class:lgtin:4012345.011111.4444",
	"urn:epc:class:lgtin:4012345.012345.998877",
	"urn:epc:class:lgtin:4012345.022222.87545GHGH",
	"urn:epc:class:lgtin:4023333.002000.123",
	"urn:epc:class:lgtin:4023333.002000.2019-10-07",
	"urn:epc:class:lgtin:4023333.002000.998877",
	"urn:epc:class:lgtin:4054739.099914.20160711",
	"urn:epc:id:cpi:4012345.ABC.123",
	"urn:epc:id:gdti:0614141.00001.1618034",
	"urn:epc:id:gdti:0614141.12345.400",
	"urn:epc:id:gdti:4012345.55555.98",
	"urn:epc:id:gdti:95252084.0001.0003555480001000",
	"urn:epc:id:giai:4000001.111",
	"urn:epc:id:giai:4000001.112",
	"urn:epc:id:giai:4000001.113",
	"urn:epc:id:giai:4000001.114",
	"urn:epc:id:giai:4000001.115",
	"urn:epc:id:giai:4000001.116",
	"urn:epc:id:giai:4000001.12345",
	"urn:epc:id:giai:4000001.12346",
	"urn:epc:id:giai:4000001.222",
	"urn:epc:id:giai:4000001.333",
	"urn:epc:id:giai:4000001.444",
	"urn:epc:id:giai:4012345.AAbb",
	"urn:epc:id:ginc:4012345.333",
	"urn:epc:id:grai:4012345.55555.987",
	"urn:epc:id:grai:4012345.55555.98765",
	"urn:epc:id:grai:4012345.66666.87",
	"urn:epc:id:gsin:4012345.999987654",
	"urn:epc:id:gsrn:0614141.0000010253",
	"urn:epc:id:gsrn:4012345.9876540000",
	"urn:epc:id:gsrn:95252084.000000001",
	"urn:epc:id:gsrnp:4012345.0000098765",
	"urn:epc:id:itip:4012345.012345.01.02.999",
	"urn:epc:id:pgln:0614141.00777",
	"urn:epc:id:pgln:4000001.00012",
	"urn:epc:id:pgln:4012345.00000",
	"urn:epc:id:pgln:4012345.00225",
	"urn:epc:id:pgln:9520001.11111",
	"urn:epc:id:pgln:9520999.99999",
	"urn:epc:id:sgcn:4012345.99999.44",
	"urn:epc:id:sgln:0012345.11111.0",
	"urn:epc:id:sgln:0012345.11111.400",
	"urn:epc:id:sgln:0037000.00729.8202",
	"urn:epc:id:sgln:0353579.00001.0",
	"urn:epc:id:sgln:0614141.00001.0",
	"urn:epc:id:sgln:0614141.00777.0",
	"urn:epc:id:sgln:0614141.00888.0",
	"urn:epc:id:sgln:0614141.07346.1234",
	"urn:epc:id:sgln:4012345.00000.0",
	"urn:epc:id:sgln:4012345.00000.5",
	"urn:epc:id:sgln:4012345.00001.0",
	"urn:epc:id:sgln:4012345.00002.0",
	"urn:epc:id:sgln:4012345.00005.0",
	"urn:epc:id:sgln:4012345.00011.987",
	"urn:epc:id:sgln:4012345.00225.0",
	"urn:epc:id:sgln:5012345.00001.0",
	"urn:epc:id:sgln:9524567.98765.0",
	"urn:epc:id:sgln:9529999.99999.0",
	"urn:epc:id:sgtin:0614141.107340.1",
	"urn:epc:id:sgtin:0614141.107340.2",
	"urn:epc:id:sgtin:0614141.107346.2017",
	"urn:epc:id:sgtin:0614141.107346.2018",
	"urn:epc:id:sgtin:4000001.065432.99886655",
	"urn:epc:id:sgtin:4012345.011111.987",
	"urn:epc:id:sgtin:4012345.011111.9876",
	"urn:epc:id:sgtin:4012345.011122.25",
	"urn:epc:id:sgtin:4012345.012345.12",
	"urn:epc:id:sgtin:4012345.022222.1234",
	"urn:epc:id:sgtin:4012345.033333.AGHFG",
	"urn:epc:id:sgtin:4012345.077889.25",
	"urn:epc:id:sgtin:4012345.077889.26",
	"urn:epc:id:sgtin:4012345.077889.27",
	"urn:epc:id:sgtin:4012345.077889.28",
	"urn:epc:id:sgtin:9520001.012346.10000001001",
	"urn:epc:id:sgtin:9520001.012346.10000001002",
	"urn:epc:id:sgtin:9520001.012346.10000001003",
	"urn:epc:id:sgtin:9520001.012346.10000001004",
	"urn:epc:id:sgtin:9520001.012346.10000001005",
	"urn:epc:id:sgtin:9520001.012346.10000001006",
	"urn:epc:id:sgtin:9520001.012346.10000001007",
	"urn:epc:id:sgtin:9520001.012346.10000001008",
	"urn:epc:id:sgtin:9520001.012346.10000001009",
	"urn:epc:id:sgtin:9520001.012346.10000001010",
	"urn:epc:id:sgtin:952001.1012345.22222223333",
	"urn:epc:id:sscc:0614141.1234567890",
	"urn:epc:id:sscc:4012345.0000000333",
	"urn:epc:id:upui:4012345.012345.AB12",
	"urn:epc:idpat:cpi:4012345.ABC.*",
	"urn:epc:idpat:gdti:4012345.55555.*",
	"urn:epc:idpat:grai:4012345.66666.*",
	"urn:epc:idpat:itip:4012345.012345.01.02.*",
	"urn:epc:idpat:sgcn:4012345.99999.*",
	"urn:epc:idpat:sgtin:4012345.044444.*",
	"urn:epc:idpat:sgtin:4012345.066666.*",
	"urn:epc:idpat:sgtin:4012345.098765.*",
	"urn:epc:idpat:sgtin:4054739.099914.*",
	"https://example.com/253/4012345000054987",
	"https://example.org/8004/4000001111-20190402T150000000",
	"https://example.org/8004/4000001222-20190402T150000000",
	"https://example.org/8004/4000001333-20190402T150000000",
	"https://example.org/8004/4000001444-20190402T150000000",
	"https://example.org/8004/401234599999",
	"https://id.example.com/253/4012345000054987",
	"https://id.example.com/414/4012345000054",
	"https://id.example.com/8003/040123450007718765",
	"https://id.gs1.de/01/04012345999990/21/XYZ-1234",
	"https://id.gs1.de/414/4012345000115",
	"https://id.gs1.org/00/040123450000003338",
	"https://id.gs1.org/01/00614141777778/10/987",
	"https://id.gs1.org/01/04012345123456/10/998877",
	"https://id.gs1.org/01/04012345666663",
	"https://id.gs1.org/01/04012345987652",
	"https://id.gs1.org/01/09506000134352/21/12345",
	"https://id.gs1.org/01/09521141012345",
	"https://id.gs1.org/01/09521141012345/21/2017",
	"https://id.gs1.org/01/70614141123451/21/2017",
	"https://id.gs1.org/01/70614141123451/21/2018",
	"https://id.gs1.org/414/9506000134307",
	"https://id.gs1.org/8004/4000001111",
	"https://id.gs1.org/8004/4000001222",
	"https://id.gs1.org/8004/4000001333",
	"https://id.gs1.org/8004/4000001444",
};

/* The TDS examples and their Digital Link twins share one key. */
static void
test_id_epc_and_digital_link_share_key(void **state)
{
	static const struct {
		const char *epc, *dl, *key;
		wb_id_kind kind;
	} k[] = {
		{ "urn:epc:id:sgtin:0614141.812345.6789",
		  "https://id.gs1.org/01/80614141123458/21/6789",
		  "(01)80614141123458(21)6789", ITEM },
		{ "urn:epc:class:lgtin:4012345.012345.998877",
		  "https://id.gs1.org/01/04012345123456/10/998877",
		  "(01)04012345123456(10)998877", CLASS },
		{ "urn:epc:id:sscc:0614141.1234567890",
		  "https://id.gs1.org/00/106141412345678908",
		  "(00)106141412345678908", ITEM },
		{ "urn:epc:id:sgln:0614141.12345.400",
		  "https://id.gs1.org/414/0614141123452/254/400",
		  "(414)0614141123452(254)400", PARTY },
		{ "urn:epc:id:sgln:0614141.12345.0",
		  "https://id.gs1.org/414/0614141123452", "(414)0614141123452",
		  PARTY },
		{ "urn:epc:id:giai:0614141.12345400",
		  "https://id.gs1.org/8004/061414112345400",
		  "(8004)061414112345400", ITEM },
		{ "urn:epc:id:grai:0614141.12345.400",
		  "https://id.gs1.org/8003/00614141123452400",
		  "(8003)00614141123452400", ITEM },
		{ "urn:epc:id:pgln:1234567.89012",
		  "https://id.gs1.org/417/1234567890128", "(417)1234567890128",
		  PARTY },
		{ "urn:epc:id:gdti:0614141.12345.006847",
		  "https://id.gs1.org/253/0614141123452006847",
		  "(253)0614141123452006847", ITEM },
		{ "urn:epc:id:itip:4012345.012345.01.02.987",
		  "https://id.gs1.org/8006/040123451234560102/21/987",
		  "(8006)040123451234560102(21)987", ITEM },
		{ "urn:epc:id:cpi:0614141.123ABC.123456789",
		  "https://id.gs1.org/8010/0614141123ABC/8011/123456789",
		  "(8010)0614141123ABC(8011)123456789", ITEM },
		{ "urn:epc:id:cpi:0614141.5PQ7%2FZ43%2312.17",
		  "https://id.gs1.org/8010/06141415PQ7%2FZ43%2312/8011/17",
		  "(8010)06141415PQ7/Z43#12(8011)17", ITEM },
		{ "urn:epc:id:upui:1234567.089456.51qIgY)%3C%26Jp3*j7'SDB",
		  "https://id.gs1.org/01/01234567894560/235/"
		  "51qIgY)%3C%26Jp3*j7'SDB",
		  "(01)01234567894560(235)51qIgY)<&Jp3*j7'SDB", ITEM },
		{ "urn:epc:id:gsrn:0614141.1234567890",
		  "https://id.gs1.org/8018/061414112345678902",
		  "(8018)061414112345678902", ITEM },
		{ "urn:epc:id:gsrnp:0614141.1234567890",
		  "https://id.gs1.org/8017/061414112345678902",
		  "(8017)061414112345678902", ITEM },
		{ "urn:epc:id:sgcn:4012345.67890.04711",
		  "https://id.gs1.org/255/401234567890104711",
		  "(255)401234567890104711", ITEM },
		{ "urn:epc:id:ginc:0614141.xyz47%2F11",
		  "https://id.gs1.org/401/0614141xyz47%2F11",
		  "(401)0614141xyz47/11", ITEM },
		{ "urn:epc:id:gsin:0614141.123456789",
		  "https://id.gs1.org/402/06141411234567890",
		  "(402)06141411234567890", ITEM },
	};

	(void)state;
	for (size_t i = 0; i < N_OF(k); i++) {
		assert_keyed(k[i].epc, k[i].key, k[i].kind);
		assert_keyed(k[i].dl, k[i].key, k[i].kind);
	}
}

/*
 * More EPC URIs against their element strings. The TDS SGTIN example
 * 0614141.112345.400 has indicator 1: its GTIN is 10614141123459 (the GTIN
 * 80614141123458 belongs to 0614141.812345).
 */
static void
test_id_epc_keys_are_gs1_element_strings(void **state)
{
	static const struct keyed k[] = {
		{ "urn:epc:id:sgtin:0614141.112345.400",
		  "(01)10614141123459(21)400", ITEM },
		{ "urn:epc:id:sgtin:0614141.812345.12345",
		  "(01)80614141123458(21)12345", ITEM },
		{ "urn:epc:id:sgtin:00000950.01093.Serial",
		  "(01)00000095010939(21)Serial", ITEM },
		{ "urn:epc:id:sgtin:012345678901.0.1",
		  "(01)00123456789012(21)1", ITEM },
		{ "urn:epc:id:sgtin:952001.1012345.22222223333",
		  "(01)19520010123455(21)22222223333", ITEM },
		{ "urn:epc:id:sgln:0037000.00729.8202",
		  "(414)0037000007296(254)8202", PARTY },
		{ "urn:epc:id:grai:4012345.55555.987",
		  "(8003)04012345555554987", ITEM },
		{ "urn:epc:id:giai:4012345.AAbb", "(8004)4012345AAbb", ITEM },
		{ "urn:epc:id:giai:0614141.a.b-c", "(8004)0614141a.b-c", ITEM },
		{ "urn:epc:id:gdti:4012345.55555.98", "(253)401234555555498",
		  ITEM },
		{ "urn:epc:id:cpi:0614141.1%231456.0",
		  "(8010)06141411#1456(8011)0", ITEM },
		{ "urn:epc:id:pgln:4012345.00225", "(417)4012345002256",
		  PARTY },
		{ "urn:epc:id:gsrn:95252084.000000001",
		  "(8018)952520840000000010", ITEM },
		{ "urn:epc:id:gdti:95252084.0001.0003555480001000",
		  "(253)95252084000140003555480001000", ITEM },
		{ "urn:epc:class:lgtin:4023333.002000.2019-10-07",
		  "(01)04023333020008(10)2019-10-07", CLASS },
		{ "URN:EPC:id:sgtin:0614141.812345.6789",
		  "(01)80614141123458(21)6789", ITEM },
	};

	(void)state;
	assert_keyed_all(k, N_OF(k));
}

static void
test_id_digital_link_pads_short_gtins(void **state)
{
	static const struct keyed k[] = {
		{ "https://id.gs1.org/01/12345670", "(01)00000012345670",
		  CLASS },
		{ "https://id.gs1.org/01/036000291452", "(01)00036000291452",
		  CLASS },
		{ "https://id.gs1.org/01/9506000134352", "(01)09506000134352",
		  CLASS },
		{ "https://id.gs1.org/01/9506000134352/21/X1",
		  "(01)09506000134352(21)X1", ITEM },
		{ "https://id.gs1.org/01/12345670/10/L7",
		  "(01)00000012345670(10)L7", CLASS },
	};

	(void)state;
	assert_keyed_all(k, N_OF(k));
	/* 9, 10, 11 and 15 digits are no GTIN: not a Digital Link. */
	assert_as_given_str("https://id.gs1.org/01/950600013");
	assert_as_given_str("https://id.gs1.org/01/9506000134");
	assert_as_given_str("https://id.gs1.org/01/95060001343");
	assert_as_given_str("https://id.gs1.org/01/095060001343520");
}

/* Any host, any custom path prefix, any scheme case; query and fragment
 * ignored; the lot and the variant do not identify a serialised item. */
static void
test_id_digital_link_host_prefix_and_query_do_not_matter(void **state)
{
	static const char *const ids[] = {
		"https://id.gs1.org/01/09506000134352/21/12345",
		"http://example.com/01/09506000134352/21/12345",
		"HTTPS://Brand.Example:8443/01/09506000134352/21/12345",
		"https://brand.example/some/path/01/09506000134352/21/12345",
		"https://example.com/10/x/01/09506000134352/21/12345",
		"https://id.gs1.org/01/09506000134352/21/12345?17=261231",
		"https://id.gs1.org/01/09506000134352/21/12345#top",
		"https://id.gs1.org/01/09506000134352/21/"
		"12345?linkType=gs1:pip&10=X#f",
		"https://id.gs1.org/01/09506000134352/10/LOT-9/21/12345",
		"https://id.gs1.org/01/09506000134352/22/V2/10/L/21/12345",
		"https://id.gs1.org/01/9506000134352/21/12345",
		"https://id.gs1.org/01/09506000134352/21/%31%32%33%34%35",
	};

	(void)state;
	for (size_t i = 0; i < N_OF(ids); i++) {
		assert_keyed(ids[i], "(01)09506000134352(21)12345", ITEM);
	}
	assert_keyed("https://id.gs1.org/01/09506000134352/22/V2/10/L",
	             "(01)09506000134352(10)L", CLASS);
	assert_keyed("https://id.gs1.org/01/09506000134352/22/V2",
	             "(01)09506000134352(22)V2", CLASS);
	assert_keyed("https://id.gs1.org/8006/040123451234560102/10/B/21/987",
	             "(8006)040123451234560102(21)987", ITEM);
	assert_keyed("https://id.gs1.org/8018/061414112345678902/8019/77",
	             "(8018)061414112345678902(8019)77", ITEM);
	assert_keyed("https://id.gs1.org/414/0614141123452/254/0",
	             "(414)0614141123452", PARTY);
}

static void
test_id_percent_escapes_are_decoded_in_serials(void **state)
{
	static const char *const ids[] = {
		"urn:epc:id:sgtin:0614141.812345.A%2FB%25C%26D%3C%3E%3F%22",
		"urn:epc:id:sgtin:0614141.812345.A%2fB%25C%26D%3c%3e%3f%22",
		"https://id.gs1.org/01/80614141123458/21/"
		"A%2FB%25C%26D%3C%3E%3F%22",
		"https://x.example/01/80614141123458/21/A%2fB%25C&D<>%3F\"",
	};

	(void)state;
	for (size_t i = 0; i < N_OF(ids); i++) {
		assert_keyed(ids[i], "(01)80614141123458(21)A/B%C&D<>?\"",
		             ITEM);
	}
	assert_keyed("urn:epc:id:giai:0614141.A%2FB.c", "(8004)0614141A/B.c",
	             ITEM);
	assert_keyed("https://id.gs1.org/8004/0614141A%2FB.c",
	             "(8004)0614141A/B.c", ITEM);
	assert_keyed("urn:epc:id:sgtin:0614141.812345.!'()*+,-.:;=_z",
	             "(01)80614141123458(21)!'()*+,-.:;=_z", ITEM);
	/* EPC URIs must escape these, as TDS says. */
	assert_refused("urn:epc:id:sgtin:0614141.812345.A/B", "%2F");
	assert_refused("urn:epc:id:sgtin:0614141.812345.A&B", "%26");
	assert_refused("urn:epc:id:sgtin:0614141.812345.A%B", "%25");
}

static void
test_id_refuses_empty_long_and_non_utf8(void **state)
{
	static const char *const bad_utf8[] = {
		"\xC0\x80",         /* overlong NUL */
		"\xC1\xBF",         /* overlong '?' */
		"a\xE0\x80\x80",    /* overlong 3 bytes */
		"\xF0\x80\x80\x80", /* overlong 4 bytes */
		"\xED\xA0\x80",     /* surrogate U+D800 */
		"\xED\xBF\xBF",     /* surrogate U+DFFF */
		"\xF4\x90\x80\x80", /* U+110000 */
		"\xF5\x80\x80\x80", /* no such lead byte */
		"\xFF",
		"\x80"
		"abc",         /* stray continuation */
		"abc\xE2\x82", /* truncated */
		"\xE2\x28\xA1",
	};
	char big[WB_ID_MAX + 2];

	(void)state;
	assert_refused_len("", 0, "empty");
	assert_refused_len(NULL, 0, "empty");
	memset(big, 'a', sizeof(big));
	assert_refused_len(big, WB_ID_MAX + 1, "257 bytes");
	assert_as_given(big, WB_ID_MAX);
	for (size_t i = 0; i < N_OF(bad_utf8); i++) {
		assert_refused(bad_utf8[i], "not valid UTF-8");
	}
	/* Edges that are valid: U+0080 is C1 (below), U+00A0, U+FFFF,
	 * U+10000, U+10FFFF. */
	assert_as_given_str(
	        "\xC2\xA0\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF");
	assert_as_given_str(
	        "Z\xC3\xBCrich Lager 7 \xE2\x80\x93 \xF0\x9F\x93\xA6");
}

static void
test_id_refuses_control_characters(void **state)
{
	(void)state;
	assert_refused_len("a\0b", 3, "U+0000");
	assert_refused("a\x01", "U+0001");
	assert_refused("a\tb", "U+0009");
	assert_refused("a\nb", "U+000A");
	assert_refused("a\x1F", "U+001F");
	assert_refused("a\x7F", "U+007F");
	assert_refused("a\xC2\x80", "U+0080");
	assert_refused("a\xC2\x85z", "U+0085");
	assert_refused("a\xC2\x9F", "U+009F");
	assert_refused("urn:epc:id:sgtin:0614141.812345.6789\n", "U+000A");
	/* Space is not a control character. */
	assert_as_given_str("lot 42");
}

static void
test_id_refuses_malformed_epc_uris(void **state)
{
	static const struct {
		const char *id, *hint;
	} k[] = {
		{ "urn:epc:id:sgtin:061414.812345.1", "13 digits together" },
		{ "urn:epc:id:sgtin:0614141.81234.1", "13 digits together" },
		{ "urn:epc:id:sgtin:06141A1.812345.1", "6 to 12 digits" },
		{ "urn:epc:id:sgtin:06141.8123456.1", "6 to 12 digits" },
		{ "urn:epc:id:sgtin:0614141234567.0.1", "6 to 12 digits" },
		{ "urn:epc:id:sgtin:0614141.8123A5.1", "13 digits together" },
		{ "urn:epc:id:sgtin:0614141.812345", "must look like" },
		{ "urn:epc:id:sgtin:0614141.812345.", "1 to 20" },
		{ "urn:epc:id:sgtin:0614141.812345.123456789012345678901",
		  "1 to 20" },
		{ "urn:epc:id:sgtin:0614141.812345.a%2", "1 to 20" },
		{ "urn:epc:id:sgtin:0614141.812345.a%zz", "1 to 20" },
		{ "urn:epc:id:sgtin:0614141.812345.a%0A", "1 to 20" },
		{ "urn:epc:id:sgtin:0614141.812345.a%23", "1 to 20" },
		{ "urn:epc:id:sgtin:0614141.812345.a b", "1 to 20" },
		{ "urn:epc:id:sgtin:%30614141.812345.1", "6 to 12 digits" },
		{ "urn:epc:id:sscc:0614141.123456789", "17 digits together" },
		{ "urn:epc:id:sscc:0614141.1234567890.5", "17 digits" },
		{ "urn:epc:id:sgln:0614141.12345", "must look like" },
		{ "urn:epc:id:sgln:0614141.1234.0", "12 digits together" },
		{ "urn:epc:id:grai:0614141.12345.12345678901234567",
		  "1 to 16" },
		{ "urn:epc:id:giai:0614141.", "individual asset reference" },
		{ "urn:epc:id:giai:0614141.123456789012345678901234",
		  "at most 30" },
		{ "urn:epc:id:gsrn:0614141.123456789", "17 digits together" },
		{ "urn:epc:id:gdti:0614141.12345.123456789012345678",
		  "1 to 17" },
		{ "urn:epc:id:cpi:0614141.123456.01", "leading zero" },
		{ "urn:epc:id:cpi:0614141.12a.1", "component/part reference" },
		{ "urn:epc:id:cpi:0614141.1#2.1", "component/part reference" },
		{ "urn:epc:id:cpi:0614141.12.1234567890123", "1 to 12" },
		{ "urn:epc:id:sgcn:4012345.67890.0471A", "1 to 12 digits" },
		{ "urn:epc:id:ginc:0614141.a%3", "consignment reference" },
		{ "urn:epc:id:gsin:0614141.12345678", "16 digits together" },
		{ "urn:epc:id:itip:4012345.012345.1.02.987", "2 digits" },
		{ "urn:epc:id:itip:4012345.012345.01.987", "must look like" },
		{ "urn:epc:id:upui:123456789012.0.012345678901234%23",
		  "1 to 28" },
		{ "urn:epc:id:pgln:1234567.8901", "12 digits together" },
		{ "urn:epc:class:lgtin:4012345.012345.", "lot must be" },
		{ "urn:epc:class:sgtin:4012345.012345.1", "only EPC class" },
		{ "urn:epc:id:foo:1", "unknown EPC scheme 'foo'" },
		{ "urn:epc:id:SGTIN:0614141.812345.6789",
		  "unknown EPC scheme" },
		{ "urn:epc:", "must look like urn:epc:id:" },
		{ "urn:epc:id", "must look like urn:epc:id:" },
		{ "urn:epc:id:sgtin", "must look like urn:epc:id:" },
		{ "urn:epc:id:sgtin:", "must look like urn:epc:id:sgtin:" },
		{ "urn:epc:ID:sgtin:0614141.812345.6789",
		  "unknown EPC URI type" },
		{ "urn:epc:tag:sgtin-96:3.0614141.812345.6789",
		  "pure identity" },
		{ "urn:epc:raw:96.x3074257BF7194E4000001A85", "pure identity" },
		{ "urn:epc:idpat:sgtin:4012345.*.5", "every part must be '*'" },
		{ "urn:epc:idpat:sgtin:401234.098765.*", "13 digits together" },
		{ "urn:epc:idpat:sscc:06141.*", "6 to 12 digits" },
		{ "urn:epc:idpat:bic:*", "no pattern" },
		{ "urn:epc:id:gid:95100000.12345.0400", "serial number" },
		{ "urn:epc:id:gid:268435456.1.1", "manager number" },
		{ "urn:epc:id:gid:1.16777216.1", "object class" },
		{ "urn:epc:id:gid:1.1.68719476736", "serial number" },
		{ "urn:epc:id:gid:1..1", "object class" },
		{ "urn:epc:id:usdod:2SI94.1", "CAGE" },
		{ "urn:epc:id:usdod:2S194.01", "serial" },
		{ "urn:epc:id:adi:W81X9C.3KL984PX1.2%232WMA52", "serial" },
		{ "urn:epc:id:adi:W89C.3KL.2", "CAGE" },
		{ "urn:epc:id:adi:2S194..%23", "serial" },
		{ "urn:epc:id:adi:W8AA9C.012345678901234567890123456789012.2",
		  "part number" },
		{ "urn:epc:id:bic:CSQU3054384", "ISO 6346" },
		{ "urn:epc:id:bic:CSQX3054383", "ISO 6346" },
		{ "urn:epc:id:imovn:9176188", "check digit" },
		{ "urn:epc:id:imovn:917618", "7 digits" },
	};
	wb_twin_id t;
	wb_problem p = { 0 };
	const char *id = "urn:epc:id:sgtin:061414.812345.1";

	(void)state;
	for (size_t i = 0; i < N_OF(k); i++) {
		assert_refused(k[i].id, k[i].hint);
	}
	/* The message quotes the ID and says what to fix. */
	assert_int_equal(wb_id_parse(&t, id, strlen(id), &p), WB_EREJECTED);
	assert_string_equal(p.msg, "EPC URI urn:epc:id:sgtin:061414.812345.1: "
	                           "company prefix and item reference must "
	                           "have 13 digits together");
}

static void
test_id_refuses_digital_link_with_wrong_check_digit(void **state)
{
	static const char *const ids[] = {
		"https://id.gs1.org/01/12345671",
		"https://id.gs1.org/01/036000291453",
		"https://id.gs1.org/01/9506000134353",
		"https://id.gs1.org/01/09506000134353/21/12345",
		"https://id.gs1.org/00/106141412345678907",
		"https://id.gs1.org/414/0614141123453",
		"https://id.gs1.org/417/1234567890127",
		"https://id.gs1.org/8003/00614141123453400",
		"https://id.gs1.org/8006/040123451234570102/21/1",
		"https://id.gs1.org/253/0614141123453006847",
		"https://id.gs1.org/255/401234567890204711",
		"https://id.gs1.org/402/06141411234567891",
		"https://id.gs1.org/8018/061414112345678903",
		"https://id.gs1.org/8017/061414112345678903",
		/* openepcis-test-resources Combination_of_different_event.json
		 * uses this GRAI; its check digit should be 6, not 1. */
		"https://id.example.com/8003/030013450007718765",
	};
	wb_twin_id t;
	wb_problem p = { 0 };
	const char *id = "https://id.gs1.org/01/09506000134353";

	(void)state;
	for (size_t i = 0; i < N_OF(ids); i++) {
		assert_refused(ids[i], "check digit");
	}
	assert_int_equal(wb_id_parse(&t, id, strlen(id), &p), WB_EREJECTED);
	assert_string_equal(
	        p.msg, "Digital Link https://id.gs1.org/01/09506000134353: "
	               "check digit of (01) 09506000134353 is 3, "
	               "expected 2");
	assert_refused("https://id.gs1.org/8003/10614141123452400",
	               "must start with 0");
}

static void
test_id_refuses_digital_link_with_bad_qualifiers(void **state)
{
	static const struct {
		const char *id, *hint;
	} k[] = {
		{ "https://id.gs1.org/01/09506000134352/21/12345/10/ABC",
		  "(10) may not follow (01)" },
		{ "https://id.gs1.org/01/09506000134352/21/a/21/b",
		  "(21) may not follow" },
		{ "https://id.gs1.org/01/09506000134352/10/a/22/b",
		  "(22) may not follow" },
		{ "https://id.gs1.org/01/09506000134352/235/X/21/Y",
		  "(21) may not follow" },
		{ "https://id.gs1.org/01/09506000134352/21/Y/235/X",
		  "(235) may not follow" },
		{ "https://id.gs1.org/414/0614141123452/21/5",
		  "(21) may not follow (414)" },
		{ "https://id.gs1.org/00/106141412345678908/21/5",
		  "(21) may not follow (00)" },
		{ "https://id.gs1.org/01/09506000134352/254/5",
		  "(254) may not follow (01)" },
		{ "https://id.gs1.org/01/09506000134352/21/"
		  "123456789012345678901",
		  "(21) must be 1 to 20" },
		{ "https://id.gs1.org/01/09506000134352/21/", "(21) must be" },
		{ "https://id.gs1.org/01/09506000134352/21/a%2",
		  "(21) must be" },
		{ "https://id.gs1.org/01/09506000134352/21/a%0A",
		  "(21) must be" },
		{ "https://id.gs1.org/01/09506000134352/21/a%C3%A9",
		  "(21) must be" },
		{ "https://id.gs1.org/01/09506000134352/21/a b",
		  "(21) must be" },
		{ "https://id.gs1.org/8010/0614141123ABC/8011/12a",
		  "(8011) must be 1 to 12 digits" },
		{ "https://id.gs1.org/01/09506000134352/235/"
		  "12345678901234567890123456789",
		  "(235) must be 1 to 28" },
	};

	(void)state;
	for (size_t i = 0; i < N_OF(k); i++) {
		assert_refused(k[i].id, k[i].hint);
	}
}

/* An http(s) URI whose path is not GS1 keys is an ordinary ID. */
static void
test_id_other_http_uris_are_keyed_as_given(void **state)
{
	static const char *const ids[] = {
		"https://example.com/about",
		"https://blog.example.com/2023/01/15",
		"https://example.com/01/abc",
		"https://example.com/01/09506000134352/extra",
		"https://example.com/01/09506000134352/",
		"https://example.com/01/09506000134352/21",
		"https://example.com",
		"https://example.com?01=09506000134352",
		"https://example.com/99/123",
		"https://example.com/gtin/09506000134352",
		"https://example.com/8004/",
		"https://example.com/8004/caf%C3%A9",
		"https://example.com/414/abc/254/1",
		"http:///01/09506000134352",
		"ftp://id.gs1.org/01/09506000134352",
		"https://example.com/ErrorCode-A827",
	};

	(void)state;
	for (size_t i = 0; i < N_OF(ids); i++) {
		assert_as_given_str(ids[i]);
	}
}

static void
test_id_other_ids_are_keyed_as_given(void **state)
{
	static const char *const ids[] = {
		"lot-42",
		"urn:isbn:9780306406157",
		"geo:42.698334,23.319941",
		"urn:epcx:id:sgtin:0614141.812345.6789",
		"urn:epc",
		" urn:epc:id:sgtin:0614141.812345.6789",
		"(01)80614141123458(21)6789",
		"acme:pump/7?rev=2#x",
	};

	(void)state;
	for (size_t i = 0; i < N_OF(ids); i++) {
		assert_as_given_str(ids[i]);
	}
}

static void
test_id_idpat_class_patterns_share_class_keys(void **state)
{
	static const struct keyed k[] = {
		{ "urn:epc:idpat:sgtin:4012345.098765.*", "(01)04012345987652",
		  CLASS },
		{ "https://id.gs1.org/01/04012345987652", "(01)04012345987652",
		  CLASS },
		{ "urn:epc:idpat:upui:4012345.098765.*", "(01)04012345987652",
		  CLASS },
		{ "urn:epc:idpat:grai:4012345.66666.*", "(8003)04012345666663",
		  CLASS },
		{ "https://id.gs1.org/8003/04012345666663",
		  "(8003)04012345666663", CLASS },
		{ "urn:epc:idpat:gdti:4012345.55555.*", "(253)4012345555554",
		  CLASS },
		{ "https://id.gs1.org/253/4012345555554", "(253)4012345555554",
		  CLASS },
		{ "urn:epc:idpat:sgcn:4012345.99999.*", "(255)4012345999990",
		  CLASS },
		{ "https://id.gs1.org/255/4012345999990", "(255)4012345999990",
		  CLASS },
		{ "urn:epc:idpat:cpi:4012345.ABC.*", "(8010)4012345ABC",
		  CLASS },
		{ "https://id.gs1.org/8010/4012345ABC", "(8010)4012345ABC",
		  CLASS },
		{ "urn:epc:idpat:itip:4012345.012345.01.02.*",
		  "(8006)040123451234560102", CLASS },
		{ "https://id.gs1.org/8006/040123451234560102",
		  "(8006)040123451234560102", CLASS },
		/* No '*': the pattern names one EPC. */
		{ "urn:epc:idpat:sgtin:0614141.812345.6789",
		  "(01)80614141123458(21)6789", ITEM },
		/* Wider than a class: the normalised URI. */
		{ "urn:epc:idpat:sgtin:4012345.*.*",
		  "urn:epc:idpat:sgtin:4012345.*.*", EPCO },
		{ "URN:EPC:idpat:sgtin:4012345.*.*",
		  "urn:epc:idpat:sgtin:4012345.*.*", EPCO },
		{ "urn:epc:idpat:sgtin:*.*.*", "urn:epc:idpat:sgtin:*.*.*",
		  EPCO },
		{ "urn:epc:idpat:sscc:0614141.*",
		  "urn:epc:idpat:sscc:0614141.*", EPCO },
		{ "urn:epc:idpat:sgln:0614141.12345.*",
		  "urn:epc:idpat:sgln:0614141.12345.*", EPCO },
		{ "urn:epc:idpat:itip:4012345.012345.*.*.*",
		  "urn:epc:idpat:itip:4012345.012345.*.*.*", EPCO },
		{ "urn:epc:idpat:giai:4012345.*",
		  "urn:epc:idpat:giai:4012345.*", EPCO },
	};

	(void)state;
	assert_keyed_all(k, N_OF(k));
}

static void
test_id_non_gs1_epc_schemes_are_keyed_by_uri(void **state)
{
	static const struct keyed k[] = {
		{ "urn:epc:id:gid:95100000.12345.400",
		  "urn:epc:id:gid:95100000.12345.400", EPCO },
		{ "urn:epc:id:gid:268435455.16777215.68719476735",
		  "urn:epc:id:gid:268435455.16777215.68719476735", EPCO },
		{ "URN:EPC:id:gid:0.0.0", "urn:epc:id:gid:0.0.0", EPCO },
		{ "urn:epc:id:usdod:2S194.12345678901",
		  "urn:epc:id:usdod:2S194.12345678901", EPCO },
		{ "urn:epc:id:adi:W81X9C.3KL984PX1.2WMA-52",
		  "urn:epc:id:adi:W81X9C.3KL984PX1.2WMA-52", EPCO },
		{ "urn:epc:id:adi:2S194..12345678901",
		  "urn:epc:id:adi:2S194..12345678901", EPCO },
		{ "urn:epc:id:adi:W81X9C.3KL984PX1.%232WM%2fA52",
		  "urn:epc:id:adi:W81X9C.3KL984PX1.%232WM%2FA52", EPCO },
		{ "urn:epc:id:bic:CSQU3054383", "urn:epc:id:bic:CSQU3054383",
		  EPCO },
		{ "urn:epc:id:imovn:9176187", "urn:epc:id:imovn:9176187",
		  EPCO },
		{ "urn:epc:idpat:gid:95100000.12345.*",
		  "urn:epc:idpat:gid:95100000.12345.*", EPCO },
		{ "urn:epc:idpat:usdod:2S194.*", "urn:epc:idpat:usdod:2S194.*",
		  EPCO },
		{ "urn:epc:idpat:adi:W81X9C.*.*",
		  "urn:epc:idpat:adi:W81X9C.*.*", EPCO },
	};

	(void)state;
	assert_keyed_all(k, N_OF(k));
}

static const char *
key_of(const char *id)
{
	static wb_twin_id t;

	t = parse_ok(id, strlen(id));
	return t.key;
}

/* One company prefix owns its keys in every scheme, from both forms. */
static void
test_id_company_prefix_matches_keys_of_every_scheme(void **state)
{
	static const char *const ids[] = {
		"urn:epc:id:sgtin:0614141.812345.6789",
		"https://id.gs1.org/01/80614141123458/21/6789",
		"urn:epc:class:lgtin:0614141.812345.L1",
		"https://id.gs1.org/01/80614141123458/10/L1",
		"https://id.gs1.org/01/0614141123452",
		"https://id.gs1.org/01/614141123452",
		"urn:epc:idpat:sgtin:0614141.812345.*",
		"urn:epc:id:sscc:0614141.1234567890",
		"https://id.gs1.org/00/106141412345678908",
		"urn:epc:id:sgln:0614141.12345.400",
		"https://id.gs1.org/414/0614141123452",
		"https://id.gs1.org/414/0614141123452/254/400",
		"urn:epc:id:pgln:0614141.12345",
		"https://id.gs1.org/417/0614141123452",
		"urn:epc:id:giai:0614141.12345400",
		"https://id.gs1.org/8004/061414112345400",
		"urn:epc:id:grai:0614141.12345.400",
		"https://id.gs1.org/8003/00614141123452400",
		"urn:epc:id:gsrn:0614141.1234567890",
		"urn:epc:id:gsrnp:0614141.1234567890",
		"urn:epc:id:gdti:0614141.12345.006847",
		"urn:epc:id:sgcn:0614141.12345.1",
		"urn:epc:id:ginc:0614141.1xyz",
		"urn:epc:id:gsin:0614141.123456789",
		"urn:epc:id:cpi:0614141.123ABC.1",
		"urn:epc:id:itip:0614141.812345.01.02.1",
		"urn:epc:id:upui:0614141.812345.T1",
		"urn:epc:idpat:sgtin:0614141.*.*",
	};

	(void)state;
	for (size_t i = 0; i < N_OF(ids); i++) {
		const char *key = key_of(ids[i]);
		/* GS1 prefixes are allocated prefix-free: a shorter prefix
		 * that the key starts with at that position owns it too. */
		bool ok = wb_id_in_company_prefix(key, "0614141") &&
		          wb_id_in_company_prefix(key, "061414") &&
		          !wb_id_in_company_prefix(key, "0614142") &&
		          !wb_id_in_company_prefix(key, "06141410") &&
		          !wb_id_in_company_prefix(key, "4012345");

		if (!ok) {
			print_message("wrong namespace for %s\n", key);
		}
		assert_true(ok);
	}
	/* Another company's keys are not ours, in any scheme. */
	for (size_t i = 0; i < N_OF(epcis_example_ids); i++) {
		const char *key = key_of(epcis_example_ids[i]);

		if (strstr(epcis_example_ids[i], "4012345") != NULL) {
			assert_true(wb_id_in_company_prefix(key, "4012345"));
			assert_false(wb_id_in_company_prefix(key, "0614141"));
		}
	}
	/* The prefix's digits at the wrong position: indicator, extension
	 * digit or GRAI's leading zero included. */
	assert_false(wb_id_in_company_prefix(
	        key_of("urn:epc:id:sgtin:0614141.812345.6789"), "8061414"));
	assert_false(wb_id_in_company_prefix(
	        key_of("urn:epc:id:itip:0614141.812345.01.02.1"), "8061414"));
	assert_false(wb_id_in_company_prefix(
	        key_of("urn:epc:id:sscc:0614141.1234567890"), "1061414"));
	assert_false(wb_id_in_company_prefix(
	        key_of("urn:epc:id:grai:0614141.12345.400"), "0061414"));
	assert_false(wb_id_in_company_prefix(
	        key_of("https://id.gs1.org/01/0614141123452"), "0061414"));
	assert_false(wb_id_in_company_prefix(
	        key_of("urn:epc:id:gsrn:0614141.1234567890"), "6141411"));
	/* Keys without a GS1 company prefix. */
	assert_false(wb_id_in_company_prefix(key_of("0614141-lot"), "0614141"));
	assert_false(wb_id_in_company_prefix(
	        key_of("urn:epc:id:gid:614141.1.1"), "614141"));
	assert_false(wb_id_in_company_prefix(
	        key_of("urn:epc:idpat:sgtin:*.*.*"), "0614141"));
	assert_false(wb_id_in_company_prefix(
	        key_of("urn:epc:idpat:sgtin:0614141.*.*"), "06141411"));
	assert_false(wb_id_in_company_prefix("(01)8", "0614141"));
	assert_false(wb_id_in_company_prefix(NULL, "0614141"));
	/* Invalid prefixes match nothing. */
	assert_false(wb_id_in_company_prefix("(414)0614141123452", "061"));
	assert_false(wb_id_in_company_prefix("(414)0614141123452", ""));
	assert_false(wb_id_in_company_prefix("(414)0614141123452", NULL));
	assert_false(wb_id_in_company_prefix("(414)0614141123452", "06x4141"));
}

static void
test_id_company_prefix_valid_is_4_to_12_digits(void **state)
{
	(void)state;
	assert_true(wb_id_company_prefix_valid("1234"));
	assert_true(wb_id_company_prefix_valid("0614141"));
	assert_true(wb_id_company_prefix_valid("123456789012"));
	assert_false(wb_id_company_prefix_valid("123"));
	assert_false(wb_id_company_prefix_valid("1234567890123"));
	assert_false(wb_id_company_prefix_valid("12a4"));
	assert_false(wb_id_company_prefix_valid("1234 "));
	assert_false(wb_id_company_prefix_valid(""));
	assert_false(wb_id_company_prefix_valid(NULL));
}

static void
test_id_literal_prefix_matches_id_or_key(void **state)
{
	const char *id = "https://id.gs1.org/01/09506000134352/21/1";
	const char *key = "(01)09506000134352(21)1";

	(void)state;
	assert_true(wb_id_in_literal_prefix(id, key, "https://id.gs1.org/"));
	assert_true(wb_id_in_literal_prefix(id, key, "(01)0950600013"));
	assert_true(wb_id_in_literal_prefix(id, key, id));
	assert_false(wb_id_in_literal_prefix(id, key, "https://id.gs1.de/"));
	assert_false(wb_id_in_literal_prefix(id, key, "(01)09506000134353"));
	assert_true(
	        wb_id_in_literal_prefix("acme:lot-7", "acme:lot-7", "acme:"));
	assert_false(
	        wb_id_in_literal_prefix("acmx:lot-7", "acmx:lot-7", "acme:"));
	assert_false(wb_id_in_literal_prefix("acm", "acm", "acme:"));
	assert_true(wb_id_in_literal_prefix(NULL, key, "(01)"));
	assert_true(wb_id_in_literal_prefix(id, NULL, "https:"));
	/* An empty prefix would own every ID. */
	assert_false(wb_id_in_literal_prefix(id, key, ""));
	assert_false(wb_id_in_literal_prefix(id, key, NULL));
}

static void
test_id_class_of_gives_gtin_of_items(void **state)
{
	static const char *const items[] = {
		"urn:epc:id:sgtin:0614141.812345.6789",
		"https://id.gs1.org/01/80614141123458/10/L1/21/6789",
		"urn:epc:id:upui:0614141.812345.T1",
		"urn:epc:id:itip:0614141.812345.01.02.1",
	};
	static const char *const no_class[] = {
		"urn:epc:class:lgtin:0614141.812345.L1",
		"https://id.gs1.org/01/80614141123458",
		"urn:epc:id:sscc:0614141.1234567890",
		"urn:epc:id:sgln:0614141.12345.400",
		"urn:epc:id:grai:0614141.12345.400",
		"urn:epc:idpat:itip:0614141.812345.01.02.*",
		"lot-42",
	};
	char out[WB_KEY_MAX + 1];

	(void)state;
	for (size_t i = 0; i < N_OF(items); i++) {
		memset(out, 'x', sizeof(out));
		assert_true(wb_id_class_of(out, key_of(items[i])));
		assert_string_equal(out, "(01)80614141123458");
	}
	for (size_t i = 0; i < N_OF(no_class); i++) {
		assert_false(wb_id_class_of(out, key_of(no_class[i])));
	}
	assert_false(wb_id_class_of(out, "(01)8061414112345(21)1"));
	assert_false(wb_id_class_of(out, "(01)80614141123458"));
	assert_false(wb_id_class_of(out, NULL));
	assert_false(wb_id_class_of(NULL, "(01)80614141123458(21)1"));
}

static void
test_id_every_epcis_example_id_parses(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_OF(epcis_example_ids); i++) {
		const char *id = epcis_example_ids[i];
		wb_twin_id t = parse_ok(id, strlen(id));

		if (t.kind == WB_ID_OTHER) {
			print_message("not canonicalised: %s\n", id);
		}
		assert_int_not_equal(t.kind, WB_ID_OTHER);
		/* Only wide patterns and non-GS1 schemes keep a URI key. */
		assert_true(t.key[0] == '(' || t.kind == WB_ID_EPC_OTHER);
	}
	/* Spot checks: the same twins written both ways in the examples. */
	assert_string_equal(key_of("urn:epc:class:lgtin:4012345.012345.998877"),
	                    "(01)04012345123456(10)998877");
	assert_string_equal(
	        key_of("https://id.gs1.org/01/04012345123456/10/998877"),
	        "(01)04012345123456(10)998877");
	assert_string_equal(key_of("urn:epc:idpat:sgtin:4012345.098765.*"),
	                    "(01)04012345987652");
	assert_string_equal(key_of("https://id.gs1.org/01/04012345987652"),
	                    "(01)04012345987652");
	assert_string_equal(key_of("https://id.example.com/414/4012345000054"),
	                    "(414)4012345000054");
	assert_string_equal(key_of("urn:epc:id:sgln:4012345.00005.0"),
	                    "(414)4012345000054");
	assert_string_equal(key_of("urn:epc:id:gsrn:95252084.000000001"),
	                    "(8018)952520840000000010");
	assert_string_equal(key_of("https://example.org/8004/"
	                           "4000001111-20190402T150000000"),
	                    "(8004)4000001111-20190402T150000000");
}

/* xorshift64: a fixed sequence, so any failure replays. */
static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static size_t
mutate(char *buf, size_t len, size_t cap, uint64_t *rng)
{
	static const char special[] = "%./:*?#0123456789(";
	uint64_t r = next_rand(rng);
	size_t at = len > 0 ? (size_t)(r >> 8) % len : 0;

	switch (r % 5) {
	case 0: /* any byte */
		if (len > 0) {
			buf[at] = (char)(next_rand(rng) & 0xFF);
		}
		return len;
	case 1: /* a syntax byte */
		if (len > 0) {
			buf[at] =
			        special[next_rand(rng) % (sizeof(special) - 1)];
		}
		return len;
	case 2: /* insert */
		if (len + 1 < cap) {
			memmove(buf + at + 1, buf + at, len - at);
			buf[at] =
			        special[next_rand(rng) % (sizeof(special) - 1)];
			return len + 1;
		}
		return len;
	case 3: /* delete */
		if (len > 0) {
			memmove(buf + at, buf + at + 1, len - at - 1);
			return len - 1;
		}
		return len;
	default: /* truncate */
		return at;
	}
}

/* Whatever the bytes, parsing ends with a bounded key or a refusal. */
static void
test_id_survives_mutated_input(void **state)
{
	uint64_t rng = 0x9E3779B97F4A7C15u;
	char buf[WB_ID_MAX + 40];

	(void)state;
	for (size_t i = 0; i < N_OF(epcis_example_ids) * 400; i++) {
		const char *seed =
		        epcis_example_ids[i % N_OF(epcis_example_ids)];
		size_t len = strlen(seed);
		wb_twin_id t;
		wb_problem p = { 0 };
		wb_err rc;

		memcpy(buf, seed, len);
		for (uint64_t m = next_rand(&rng) % 4 + 1; m > 0; m--) {
			len = mutate(buf, len, sizeof(buf), &rng);
		}
		rc = wb_id_parse(&t, buf, len, &p);
		if (rc == WB_OK) {
			assert_int_equal(t.key_len, strlen(t.key));
			assert_true(t.key_len <= len);
		} else {
			assert_int_equal(rc, WB_EREJECTED);
			assert_int_equal(p.reason, WB_REJECT_BAD_ID);
			assert_true(strlen(p.msg) < sizeof(p.msg));
			assert_int_equal(t.key_len, 0);
		}
	}
}

static void
test_id_parse_checks_arguments(void **state)
{
	wb_twin_id t;
	wb_problem p = { 0 };

	(void)state;
	assert_int_equal(wb_id_parse(NULL, "x", 1, &p), WB_EINVAL);
	assert_int_equal(wb_id_parse(&t, NULL, 1, &p), WB_EINVAL);
	/* A NULL problem is allowed: the reason is dropped. */
	assert_int_equal(wb_id_parse(&t, "", 0, NULL), WB_EREJECTED);
	assert_int_equal(wb_id_parse(&t, "urn:epc:id:x:1", 14, NULL),
	                 WB_EREJECTED);
	/* The length, not a NUL, ends the ID. */
	assert_int_equal(wb_id_parse(&t, "lot-42xyz", 6, &p), WB_OK);
	assert_string_equal(t.key, "lot-42");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_epc_and_digital_link_share_key),
		cmocka_unit_test(test_id_epc_keys_are_gs1_element_strings),
		cmocka_unit_test(test_id_digital_link_pads_short_gtins),
		cmocka_unit_test(
		        test_id_digital_link_host_prefix_and_query_do_not_matter),
		cmocka_unit_test(
		        test_id_percent_escapes_are_decoded_in_serials),
		cmocka_unit_test(test_id_refuses_empty_long_and_non_utf8),
		cmocka_unit_test(test_id_refuses_control_characters),
		cmocka_unit_test(test_id_refuses_malformed_epc_uris),
		cmocka_unit_test(
		        test_id_refuses_digital_link_with_wrong_check_digit),
		cmocka_unit_test(
		        test_id_refuses_digital_link_with_bad_qualifiers),
		cmocka_unit_test(test_id_other_http_uris_are_keyed_as_given),
		cmocka_unit_test(test_id_other_ids_are_keyed_as_given),
		cmocka_unit_test(test_id_idpat_class_patterns_share_class_keys),
		cmocka_unit_test(test_id_non_gs1_epc_schemes_are_keyed_by_uri),
		cmocka_unit_test(
		        test_id_company_prefix_matches_keys_of_every_scheme),
		cmocka_unit_test(
		        test_id_company_prefix_valid_is_4_to_12_digits),
		cmocka_unit_test(test_id_literal_prefix_matches_id_or_key),
		cmocka_unit_test(test_id_class_of_gives_gtin_of_items),
		cmocka_unit_test(test_id_every_epcis_example_id_parses),
		cmocka_unit_test(test_id_survives_mutated_input),
		cmocka_unit_test(test_id_parse_checks_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
