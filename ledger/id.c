/* SPDX-License-Identifier: MIT */
/*
 * id.c - twin identifiers: validation, GS1 canonical keys and namespaces.
 *
 * The same GS1 identifier reaches the ledger as an EPC URI
 * (urn:epc:id:sgtin:0614141.812345.6789) and as a GS1 Digital Link
 * (https://id.gs1.org/01/80614141123458/21/6789). Both are indexed under the
 * GS1 element string "(01)80614141123458(21)6789": AIs in parentheses, the
 * check digit computed (EPC) or verified (Digital Link), percent-escapes
 * decoded. In every key the only free-text field comes last, so a '(' inside
 * a serial cannot make two identifiers share a key.
 *
 * Decisions (to be mirrored in DESIGN.md, "Twin keys and namespaces"):
 * - EPC URIs follow the TDS 2.x pure-identity syntax. The company-prefix
 *   component has 6 to 12 digits, as in the TDS partition tables; a stored
 *   namespace prefix may have 4 to 12 (wb_id_company_prefix_valid). "urn:epc:"
 *   is matched case-insensitively (RFC 8141), the rest exactly. A malformed
 *   urn:epc: URI is refused, never keyed as given. Tag, raw and tag-pattern
 *   URIs (urn:epc:tag:, :raw:, :pat:) are refused: a twin is named by its
 *   pure identity.
 * - SGLN extension "0" means "no extension" (TDS): key "(414)<GLN>". A
 *   Digital Link /254/0 is read the same way.
 * - Patterns (urn:epc:idpat:): with no '*' the pattern is the one EPC it
 *   names. With only the serial open it is a class, keyed without the serial:
 *   sgtin and upui give "(01)<GTIN>", grai "(8003)0<GRAI-13>", gdti
 *   "(253)<GDTI-13>", sgcn "(255)<GCN-13>", cpi "(8010)<CPID>", itip
 *   "(8006)<GTIN><piece><total>". Wider patterns (company-prefix wide, and
 *   sgln CP.LR.*, whose sub-locations are not the location itself) keep the
 *   normalised URI as key, kind WB_ID_EPC_OTHER, as do gid, usdod, adi, bic
 *   and imovn. Normalised = "urn:epc:" in lower case and hex digits of
 *   escapes in upper case; nothing else changes.
 * - Kinds: a GS1 kind always comes with an element-string key. GRAI, GDTI
 *   and GCN without serial (Digital Link allows them) name an asset type, a
 *   document type and a coupon offer: WB_ID_GS1_CLASS, the same key as the
 *   matching idpat class. So does a CPID without /8011/.
 * - Digital Link: the path is read from its end in AI/value pairs; pairs of
 *   known key qualifiers are skipped until a primary key AI, and whatever
 *   comes before it is the custom path prefix. If no primary key is found,
 *   or its value has the wrong shape (length, digits, character set), the
 *   URI is not a Digital Link and is keyed as given. Once a well-shaped
 *   primary key is found, every other fault (check digit, qualifier order,
 *   qualifier value) refuses the ID. Query string and fragment are ignored.
 *   Numeric AIs only: DL 1.0 short names (/gtin/, /ser/) and AIs outside the
 *   key/qualifier list (8013, 7040, 8020) are not Digital Links here.
 * - Of the GTIN qualifiers 22, 10, 21 only the last present enters the key:
 *   with a serial the item is GTIN + serial (the lot and the variant qualify
 *   it but do not identify it), so /01/G/10/L/21/S and urn:epc:id:sgtin give
 *   the same "(01)G(21)S"; /01/G/22/V/10/L is the LGTIN "(01)G(10)L". The
 *   same holds for ITIP.
 * - Namespaces: the company prefix is compared, digit for digit, at its
 *   position in the key; GS1 allocates prefixes so that none is a prefix of
 *   another, which is what makes the positional test exact.
 */
#include "waybill/id.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define EPC_CP_MIN 6
#define EPC_CP_MAX 12
#define NS_CP_MIN  4
#define NS_CP_MAX  12
#define SHOWN_MAX  100       /* bytes of the ID quoted in a message */
#define SEG_MAX    WB_ID_MAX /* a path never has more segments */

typedef struct {
	const char *p;
	size_t n;
} span;

/* One parse: where the key goes, where a refusal goes, what is parsed. */
struct ctx {
	wb_twin_id *out;
	wb_problem *p;
	const char *id;
	size_t len;
	const char *form; /* "EPC URI" or "Digital Link", for messages */
	bool overflow;
};

/* A decoded field value: never longer than the ID it comes from. */
typedef struct {
	char s[WB_ID_MAX + 1];
	size_t n;
} field;

/* Character sets of GS1 fields. */
enum cset {
	CS_NONE,
	CS_DIGITS, /* N: padded digits, leading zeros count */
	CS_NUM,    /* TDS NumericComponent: digits, no leading zero */
	CS_X82,    /* GS1 AI encodable character set 82 */
	CS_Y39,    /* GS1 AI encodable character set 39 (CPID) */
};

/* ---- characters ---- */

static bool
is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static bool
is_upper(int ch)
{
	return ch >= 'A' && ch <= 'Z';
}

static bool
is_alnum(int ch)
{
	return is_digit(ch) || is_upper(ch) || (ch >= 'a' && ch <= 'z');
}

static bool
in_list(int ch, const char *list)
{
	return ch != '\0' && strchr(list, ch) != NULL;
}

static bool
in_set(int ch, enum cset set)
{
	switch (set) {
	case CS_DIGITS:
	case CS_NUM:
		return is_digit(ch);
	case CS_X82:
		return is_alnum(ch) || in_list(ch, "!\"%&'()*+,-./:;<=>?_");
	case CS_Y39:
		return is_digit(ch) || is_upper(ch) || in_list(ch, "#-/");
	default:
		return false;
	}
}

/* What the TDS grammar lets stand unescaped in a component of that set. */
static bool
epc_raw_ok(int ch, enum cset set)
{
	switch (set) {
	case CS_X82:
		return is_alnum(ch) || in_list(ch, "!'()*+,-.:;=_");
	case CS_Y39:
		return is_digit(ch) || is_upper(ch) || ch == '-';
	default:
		return in_set(ch, set);
	}
}

static int
hex_value(int ch)
{
	if (is_digit(ch)) {
		return ch - '0';
	}
	if (ch >= 'A' && ch <= 'F') {
		return ch - 'A' + 10;
	}
	if (ch >= 'a' && ch <= 'f') {
		return ch - 'a' + 10;
	}
	return -1;
}

static int
lower(int ch)
{
	return is_upper(ch) ? ch - 'A' + 'a' : ch;
}

/* ---- spans ---- */

static span
mkspan(const char *p, size_t n)
{
	span s = { p, n };

	return s;
}

static bool
span_eq(span s, const char *lit)
{
	return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static bool
span_digits(span s)
{
	for (size_t i = 0; i < s.n; i++) {
		if (!is_digit((unsigned char)s.p[i])) {
			return false;
		}
	}
	return true;
}

static bool
has_prefix_ci(const char *s, size_t n, const char *lit)
{
	size_t ln = strlen(lit);

	if (n < ln) {
		return false;
	}
	for (size_t i = 0; i < ln; i++) {
		if (lower((unsigned char)s[i]) != lit[i]) {
			return false;
		}
	}
	return true;
}

/* Takes the part of *s before the first sep and leaves the rest after it. */
static bool
take_until(span *s, char sep, span *head)
{
	const char *at = memchr(s->p, sep, s->n);

	if (at == NULL) {
		return false;
	}
	*head = mkspan(s->p, (size_t)(at - s->p));
	s->n -= head->n + 1;
	s->p = at + 1;
	return true;
}

/*
 * Splits an EPC body into n components on '.'. The last takes the rest,
 * dots included: only the last component of a scheme may hold a '.'.
 */
static bool
split_dots(span body, span *comp, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (!take_until(&body, '.', &comp[i])) {
			return false;
		}
	}
	comp[n - 1] = body;
	return true;
}

/* ---- GS1 check digit ---- */

/* The GS1 mod-10 check digit of n data digits: weights 3,1,3,... from the
 * right, so leading zeros never change it. */
static char
check_digit(const char *d, size_t n)
{
	unsigned sum = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned v = (unsigned)(d[n - 1 - i] - '0');

		sum += (i % 2 == 0) ? 3 * v : v;
	}
	return (char)('0' + (10 - sum % 10) % 10);
}

/* ---- refusals and the key ---- */

/* How much of the ID a message quotes: whole UTF-8 characters only. */
static int
shown_len(const char *id, size_t len)
{
	size_t n = len < SHOWN_MAX ? len : SHOWN_MAX;

	while (n > 0 && n < len && ((unsigned char)id[n] & 0xC0) == 0x80) {
		n--;
	}
	return (int)n;
}

static wb_err reject(const struct ctx *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static wb_err
reject(const struct ctx *c, const char *fmt, ...)
{
	char why[200];
	int shown = shown_len(c->id, c->len);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return wb_reject_set(c->p, WB_REJECT_BAD_ID, "%s %.*s%s: %s", c->form,
	                     shown, c->id, (size_t)shown < c->len ? "..." : "",
	                     why);
}

static void
key_reset(struct ctx *c)
{
	c->out->key[0] = '\0';
	c->out->key_len = 0;
}

/* Appends to the key; an overflow is remembered and refused at the end. */
static void
key_put(struct ctx *c, const char *s, size_t n)
{
	wb_twin_id *o = c->out;

	if (n > WB_KEY_MAX - o->key_len) {
		c->overflow = true;
		return;
	}
	memcpy(o->key + o->key_len, s, n);
	o->key_len += n;
	o->key[o->key_len] = '\0';
}

static void
key_str(struct ctx *c, const char *s)
{
	key_put(c, s, strlen(s));
}

static void
key_ai(struct ctx *c, const char *ai)
{
	key_str(c, "(");
	key_str(c, ai);
	key_str(c, ")");
}

/*
 * The key of an EPC URI without a GS1 key: the URI itself, with "urn:epc:"
 * in lower case and escapes in upper-case hex, so that spellings the URI
 * rules treat as equal share a key.
 */
static void
key_epc_uri(struct ctx *c)
{
	key_reset(c);
	key_str(c, "urn:epc:");
	for (size_t i = 8; i < c->len; i++) {
		char ch = c->id[i];

		if (ch == '%' && c->len - i >= 3 &&
		    hex_value(c->id[i + 1]) >= 0 &&
		    hex_value(c->id[i + 2]) >= 0) {
			char esc[3] = {
				'%',
				"0123456789ABCDEF"[hex_value(c->id[i + 1])],
				"0123456789ABCDEF"[hex_value(c->id[i + 2])]
			};

			key_put(c, esc, sizeof(esc));
			i += 2;
		} else {
			key_put(c, &ch, 1);
		}
	}
}

/* ---- whole-ID validation ---- */

/* Length of the UTF-8 sequence at s, or 0 when it is not well formed
 * (overlong, surrogate, above U+10FFFF, truncated). *cp gets the value. */
static size_t
utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t need;
	unsigned char lo = 0x80, hi = 0xBF;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		need = 1;
		*cp = s[0] & 0x1Fu;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		need = 2;
		*cp = s[0] & 0x0Fu;
		lo = s[0] == 0xE0 ? 0xA0 : 0x80; /* overlong */
		hi = s[0] == 0xED ? 0x9F : 0xBF; /* surrogates */
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		need = 3;
		*cp = s[0] & 0x07u;
		lo = s[0] == 0xF0 ? 0x90 : 0x80; /* overlong */
		hi = s[0] == 0xF4 ? 0x8F : 0xBF; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < need + 1 || s[1] < lo || s[1] > hi) {
		return 0;
	}
	for (size_t i = 1; i <= need; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			return 0;
		}
		*cp = (*cp << 6) | (s[i] & 0x3Fu);
	}
	return need + 1;
}

static bool
is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/* Size, UTF-8 and control characters: the rules every ID obeys. */
static wb_err
check_text(const char *id, size_t len, wb_problem *p)
{
	const unsigned char *s = (const unsigned char *)id;
	size_t i = 0;

	if (len == 0) {
		return wb_reject_set(p, WB_REJECT_BAD_ID,
		                     "ID is empty: give 1 to %d bytes",
		                     WB_ID_MAX);
	}
	if (len > WB_ID_MAX) {
		return wb_reject_set(p, WB_REJECT_BAD_ID,
		                     "ID is %zu bytes long: the limit is %d",
		                     len, WB_ID_MAX);
	}
	while (i < len) {
		uint32_t cp;
		size_t k = utf8_seq(s + i, len - i, &cp);

		if (k == 0) {
			return wb_reject_set(
			        p, WB_REJECT_BAD_ID,
			        "ID is not valid UTF-8 at byte %zu", i);
		}
		if (is_control(cp)) {
			return wb_reject_set(
			        p, WB_REJECT_BAD_ID,
			        "ID has control character U+%04X at byte %zu: "
			        "remove it",
			        (unsigned)cp, i);
		}
		i += k;
	}
	return WB_OK;
}

/* ---- field decoding ---- */

/*
 * Decodes one field. EPC URIs (epc true) allow only the characters the TDS
 * grammar lets stand raw, anything else escaped; Digital Links allow any raw
 * byte but '%'. Either way every decoded character must be in the set.
 */
static bool
decode(field *f, span in, enum cset set, bool epc)
{
	f->n = 0;
	for (size_t i = 0; i < in.n; i++) {
		int ch = (unsigned char)in.p[i];

		if (ch == '%') {
			if (in.n - i < 3 || hex_value(in.p[i + 1]) < 0 ||
			    hex_value(in.p[i + 2]) < 0) {
				return false;
			}
			ch = hex_value(in.p[i + 1]) * 16 +
			     hex_value(in.p[i + 2]);
			i += 2;
			if (epc && (set == CS_DIGITS || set == CS_NUM)) {
				return false;
			}
		} else if (epc && !epc_raw_ok(ch, set)) {
			return false;
		}
		if (!in_set(ch, set)) {
			return false;
		}
		f->s[f->n++] = (char)ch;
	}
	f->s[f->n] = '\0';
	return true;
}

static bool
field_fits(const field *f, enum cset set, size_t min, size_t max)
{
	if (f->n < min || f->n > max) {
		return false;
	}
	return set != CS_NUM || f->n == 1 || f->s[0] != '0';
}

static const char *
set_hint(enum cset set)
{
	switch (set) {
	case CS_DIGITS:
		return "digits";
	case CS_NUM:
		return "digits without a leading zero";
	case CS_Y39:
		return "characters 0-9 A-Z - and # / (escaped %23 %2F)";
	default:
		return "characters of the GS1 set (\" % & / < > ? escaped "
		       "as %22 %25 %26 %2F %3C %3E %3F)";
	}
}

/* ---- EPC URIs of GS1 keys ---- */

enum layout {
	LAY_GTIN,  /* indicator digit moves before the company prefix */
	LAY_SSCC,  /* extension digit moves before the company prefix */
	LAY_PLAIN, /* company prefix, reference, check digit */
	LAY_FREE,  /* company prefix, free reference, no check digit */
};

enum tail {
	TAIL_NONE,
	TAIL_AI,     /* "(<tail_ai>)<value>" */
	TAIL_APPEND, /* value appended to the key: GRAI, GDTI, GCN serials */
	TAIL_EXT,    /* SGLN: "(254)<value>", none when the value is "0" */
};

struct gs1_scheme {
	const char *name;
	const char *syntax; /* for messages */
	const char *ai;
	const char *lead; /* fixed digits before the key digits */
	const char *ref_name;
	const char *tail_name;
	const char *tail_ai;
	unsigned char layout;
	unsigned char digits; /* CP + reference digits; LAY_FREE: max chars */
	unsigned char ref_set;
	unsigned char pieces; /* two-digit components after the reference */
	unsigned char tail;
	unsigned char tail_set;
	unsigned char tail_max;
	unsigned char kind;
	bool open_tail_is_class; /* idpat with only the tail open */
};

/* TDS 2.x, section 6.3 (EPC URI) and 7 (correspondence with GS1 keys). */
static const struct gs1_scheme gs1_schemes[] = {
	{ "sgtin", "CompanyPrefix.ItemRefAndIndicator.SerialNumber", "01", "",
	  "item reference", "serial", "21", LAY_GTIN, 13, CS_NONE, 0, TAIL_AI,
	  CS_X82, 20, WB_ID_GS1_ITEM, true },
	{ "sscc", "CompanyPrefix.SerialReference", "00", "", "serial reference",
	  NULL, NULL, LAY_SSCC, 17, CS_NONE, 0, TAIL_NONE, CS_NONE, 0,
	  WB_ID_GS1_ITEM, false },
	{ "sgln", "CompanyPrefix.LocationReference.Extension", "414", "",
	  "location reference", "extension", "254", LAY_PLAIN, 12, CS_NONE, 0,
	  TAIL_EXT, CS_X82, 20, WB_ID_GS1_PARTY, false },
	{ "grai", "CompanyPrefix.AssetType.SerialNumber", "8003", "0",
	  "asset type", "serial", NULL, LAY_PLAIN, 12, CS_NONE, 0, TAIL_APPEND,
	  CS_X82, 16, WB_ID_GS1_ITEM, true },
	{ "giai", "CompanyPrefix.IndividualAssetReference", "8004", "",
	  "individual asset reference", NULL, NULL, LAY_FREE, 30, CS_X82, 0,
	  TAIL_NONE, CS_NONE, 0, WB_ID_GS1_ITEM, false },
	{ "gsrn", "CompanyPrefix.ServiceReference", "8018", "",
	  "service reference", NULL, NULL, LAY_PLAIN, 17, CS_NONE, 0, TAIL_NONE,
	  CS_NONE, 0, WB_ID_GS1_ITEM, false },
	{ "gsrnp", "CompanyPrefix.ServiceReference", "8017", "",
	  "service reference", NULL, NULL, LAY_PLAIN, 17, CS_NONE, 0, TAIL_NONE,
	  CS_NONE, 0, WB_ID_GS1_ITEM, false },
	{ "gdti", "CompanyPrefix.DocumentType.SerialNumber", "253", "",
	  "document type", "serial", NULL, LAY_PLAIN, 12, CS_NONE, 0,
	  TAIL_APPEND, CS_X82, 17, WB_ID_GS1_ITEM, true },
	{ "cpi", "CompanyPrefix.ComponentPartReference.Serial", "8010", "",
	  "component/part reference", "serial", "8011", LAY_FREE, 30, CS_Y39, 0,
	  TAIL_AI, CS_NUM, 12, WB_ID_GS1_ITEM, true },
	{ "sgcn", "CompanyPrefix.CouponReference.SerialComponent", "255", "",
	  "coupon reference", "serial component", NULL, LAY_PLAIN, 12, CS_NONE,
	  0, TAIL_APPEND, CS_DIGITS, 12, WB_ID_GS1_ITEM, true },
	{ "ginc", "CompanyPrefix.ConsignmentReference", "401", "",
	  "consignment reference", NULL, NULL, LAY_FREE, 30, CS_X82, 0,
	  TAIL_NONE, CS_NONE, 0, WB_ID_GS1_ITEM, false },
	{ "gsin", "CompanyPrefix.ShipperReference", "402", "",
	  "shipper reference", NULL, NULL, LAY_PLAIN, 16, CS_NONE, 0, TAIL_NONE,
	  CS_NONE, 0, WB_ID_GS1_ITEM, false },
	{ "itip", "CompanyPrefix.ItemRefAndIndicator.Piece.Total.SerialNumber",
	  "8006", "", "item reference", "serial", "21", LAY_GTIN, 13, CS_NONE,
	  2, TAIL_AI, CS_X82, 20, WB_ID_GS1_ITEM, true },
	{ "upui", "CompanyPrefix.ItemRefAndIndicator.TPX", "01", "",
	  "item reference", "TPX", "235", LAY_GTIN, 13, CS_NONE, 0, TAIL_AI,
	  CS_X82, 28, WB_ID_GS1_ITEM, true },
	{ "pgln", "CompanyPrefix.PartyReference", "417", "", "party reference",
	  NULL, NULL, LAY_PLAIN, 12, CS_NONE, 0, TAIL_NONE, CS_NONE, 0,
	  WB_ID_GS1_PARTY, false },
};

/* urn:epc:class:lgtin, the one EPC class URI of TDS 2.x. */
static const struct gs1_scheme lgtin_scheme[] = {
	{ "lgtin", "CompanyPrefix.ItemRefAndIndicator.LotNumber", "01", "",
	  "item reference", "lot", "10", LAY_GTIN, 13, CS_NONE, 0, TAIL_AI,
	  CS_X82, 20, WB_ID_GS1_CLASS, false },
};

static const struct gs1_scheme *
gs1_scheme_find(span name)
{
	for (size_t i = 0; i < sizeof(gs1_schemes) / sizeof(gs1_schemes[0]);
	     i++) {
		if (span_eq(name, gs1_schemes[i].name)) {
			return &gs1_schemes[i];
		}
	}
	return NULL;
}

static size_t
gs1_ncomp(const struct gs1_scheme *s)
{
	return 2u + s->pieces + (s->tail != TAIL_NONE ? 1u : 0u);
}

/*
 * In a pattern, *open gets the index of the first "*" component; every later
 * one must be "*" too.
 */
static wb_err
pattern_open(struct ctx *c, const span *comp, size_t n, size_t *open)
{
	*open = n;
	for (size_t i = 0; i < n; i++) {
		if (*open == n && span_eq(comp[i], "*")) {
			*open = i;
		} else if (*open < n && !span_eq(comp[i], "*")) {
			return reject(c, "after a '*' every part must be '*'");
		}
	}
	return WB_OK;
}

static wb_err
epc_cp(struct ctx *c, span cp)
{
	if (!span_digits(cp) || cp.n < EPC_CP_MIN || cp.n > EPC_CP_MAX) {
		return reject(c, "company prefix must be %d to %d digits",
		              EPC_CP_MIN, EPC_CP_MAX);
	}
	return WB_OK;
}

/* CP + numeric reference: the key digits, check digit computed. */
static wb_err
gs1_head_digits(struct ctx *c, const struct gs1_scheme *s, span cp, span ref)
{
	char num[32];
	size_t n = 0;

	if (!span_digits(ref) || cp.n + ref.n != s->digits) {
		return reject(c,
		              "company prefix and %s must have %u digits "
		              "together",
		              s->ref_name, (unsigned)s->digits);
	}
	if (s->layout != LAY_PLAIN) {
		num[n++] = ref.p[0]; /* indicator or extension digit */
		ref = mkspan(ref.p + 1, ref.n - 1);
	}
	memcpy(num + n, cp.p, cp.n);
	n += cp.n;
	memcpy(num + n, ref.p, ref.n);
	n += ref.n;
	num[n] = check_digit(num, n);
	key_ai(c, s->ai);
	key_str(c, s->lead);
	key_put(c, num, n + 1);
	return WB_OK;
}

/* CP + free-text reference (GIAI, GINC, CPI): no check digit. */
static wb_err
gs1_head_free(struct ctx *c, const struct gs1_scheme *s, span cp, span ref)
{
	field f;

	if (!decode(&f, ref, s->ref_set, true) || f.n == 0) {
		return reject(c, "%s must be %s", s->ref_name,
		              set_hint(s->ref_set));
	}
	if (cp.n + f.n > s->digits) {
		return reject(c,
		              "company prefix and %s must have at most %u "
		              "characters together",
		              s->ref_name, (unsigned)s->digits);
	}
	key_ai(c, s->ai);
	key_put(c, cp.p, cp.n);
	key_put(c, f.s, f.n);
	return WB_OK;
}

static wb_err
gs1_piece(struct ctx *c, span comp)
{
	if (comp.n != 2 || !span_digits(comp)) {
		return reject(c, "piece number and total count must be 2 "
		                 "digits each");
	}
	key_put(c, comp.p, comp.n);
	return WB_OK;
}

static wb_err
gs1_tail(struct ctx *c, const struct gs1_scheme *s, span comp)
{
	field f;

	if (!decode(&f, comp, s->tail_set, true) ||
	    !field_fits(&f, s->tail_set, 1, s->tail_max)) {
		return reject(c, "%s must be 1 to %u %s", s->tail_name,
		              (unsigned)s->tail_max, set_hint(s->tail_set));
	}
	if (s->tail == TAIL_EXT && f.n == 1 && f.s[0] == '0') {
		return WB_OK; /* TDS: extension 0 is the GLN itself */
	}
	if (s->tail != TAIL_APPEND) {
		key_ai(c, s->tail_ai);
	}
	key_put(c, f.s, f.n);
	return WB_OK;
}

/* Validates and keys the fixed components comp[0..open). */
static wb_err
gs1_fixed(struct ctx *c, const struct gs1_scheme *s, const span *comp,
          size_t open)
{
	size_t n = gs1_ncomp(s);
	wb_err rc = WB_OK;

	if (open >= 1) {
		rc = epc_cp(c, comp[0]);
	}
	if (rc == WB_OK && open >= 2) {
		rc = s->layout == LAY_FREE
		             ? gs1_head_free(c, s, comp[0], comp[1])
		             : gs1_head_digits(c, s, comp[0], comp[1]);
	}
	for (size_t i = 2; rc == WB_OK && i < 2u + s->pieces && i < open; i++) {
		rc = gs1_piece(c, comp[i]);
	}
	if (rc == WB_OK && open == n && s->tail != TAIL_NONE) {
		rc = gs1_tail(c, s, comp[n - 1]);
	}
	return rc;
}

static wb_err
epc_gs1(struct ctx *c, const struct gs1_scheme *s, span body, bool pattern)
{
	span comp[5];
	size_t n = gs1_ncomp(s), open = n;
	wb_err rc;

	if (body.n == 0 || !split_dots(body, comp, n)) {
		return reject(c, "must look like urn:epc:%s:%s:%s",
		              pattern ? "idpat" : "id", s->name, s->syntax);
	}
	if (pattern && (rc = pattern_open(c, comp, n, &open)) != WB_OK) {
		return rc;
	}
	if ((rc = gs1_fixed(c, s, comp, open)) != WB_OK) {
		return rc;
	}
	if (open == n) {
		c->out->kind = s->kind;
	} else if (open + 1 == n && s->open_tail_is_class) {
		c->out->kind = WB_ID_GS1_CLASS;
	} else {
		key_epc_uri(c);
		c->out->kind = WB_ID_EPC_OTHER;
	}
	return WB_OK;
}

/* ---- EPC URIs without a GS1 key ---- */

/* CAGE code or DoDAAC: 5 or 6 of 0-9 A-Z without I and O. */
static bool
cage_ok(span s)
{
	if (s.n != 5 && s.n != 6) {
		return false;
	}
	for (size_t i = 0; i < s.n; i++) {
		int ch = (unsigned char)s.p[i];

		if (!is_digit(ch) &&
		    (!is_upper(ch) || ch == 'I' || ch == 'O')) {
			return false;
		}
	}
	return true;
}

/* TDS NumericComponent no greater than max. */
static bool
numeric_ok(span s, uint64_t max)
{
	uint64_t v = 0;

	if (s.n == 0 || s.n > 12 || !span_digits(s) ||
	    (s.n > 1 && s.p[0] == '0')) {
		return false;
	}
	for (size_t i = 0; i < s.n; i++) {
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	return v <= max;
}

static wb_err
gid_check(struct ctx *c, const span *comp, size_t open)
{
	static const uint64_t max[3] = { UINT64_C(268435455),
		                         UINT64_C(16777215),
		                         UINT64_C(68719476735) };
	static const char *const name[3] = { "manager number", "object class",
		                             "serial number" };

	for (size_t i = 0; i < open; i++) {
		if (!numeric_ok(comp[i], max[i])) {
			return reject(c,
			              "%s must be a number from 0 to %llu "
			              "without leading zeros",
			              name[i], (unsigned long long)max[i]);
		}
	}
	return WB_OK;
}

static wb_err
usdod_check(struct ctx *c, const span *comp, size_t open)
{
	if (open >= 1 && !cage_ok(comp[0])) {
		return reject(c, "CAGE code or DoDAAC must be 5 or 6 of 0-9 "
		                 "A-Z (no I, O)");
	}
	if (open >= 2 && !numeric_ok(comp[1], UINT64_C(68719476735))) {
		return reject(c, "serial must be a number below 2^36 without "
		                 "leading zeros");
	}
	return WB_OK;
}

/* ADI characters: 0-9 A-Z '-' and '/' (escaped %2F). */
static bool
adi_chars(span s, size_t min, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < s.n; i++, n++) {
		int ch = (unsigned char)s.p[i];

		if (ch == '%' && s.n - i >= 3 && s.p[i + 1] == '2' &&
		    lower((unsigned char)s.p[i + 2]) == 'f') {
			i += 2;
		} else if (!is_digit(ch) && !is_upper(ch) && ch != '-') {
			return false;
		}
	}
	return n >= min && n <= max;
}

/* ADI serial: 1 to 30 characters, a leading '#' (%23) allowed. */
static bool
adi_serial_ok(span s)
{
	if (s.n >= 3 && memcmp(s.p, "%23", 3) == 0) {
		return adi_chars(mkspan(s.p + 3, s.n - 3), 1, 29);
	}
	return adi_chars(s, 1, 30);
}

static wb_err
adi_check(struct ctx *c, const span *comp, size_t open)
{
	if (open >= 1 && !cage_ok(comp[0])) {
		return reject(c, "CAGE code or DoDAAC must be 5 or 6 of 0-9 "
		                 "A-Z (no I, O)");
	}
	if (open >= 2 && !adi_chars(comp[1], 0, 32)) {
		return reject(c, "part number must be 0 to 32 of 0-9 A-Z - "
		                 "%%2F");
	}
	if (open >= 3 && !adi_serial_ok(comp[2])) {
		return reject(c, "serial must be 1 to 30 of 0-9 A-Z - %%2F, "
		                 "optionally after a leading %%23");
	}
	return WB_OK;
}

/* ISO 6346 value of an owner-code letter: 10 upwards, skipping 11, 22, 33. */
static unsigned
iso6346_letter(int ch)
{
	unsigned n = (unsigned)(ch - 'A');

	return 10 + n + (n + 9) / 10;
}

static wb_err
bic_check(struct ctx *c, const span *comp, size_t open)
{
	const char *s = comp[0].p;
	unsigned sum = 0;
	bool ok = comp[0].n == 11 && in_list((unsigned char)s[3], "UJZ");

	(void)open;
	for (size_t i = 0; ok && i < 11; i++) {
		ok = i < 4 ? is_upper((unsigned char)s[i])
		           : is_digit((unsigned char)s[i]);
	}
	for (size_t i = 0; ok && i < 10; i++) {
		unsigned v = i < 4 ? iso6346_letter((unsigned char)s[i])
		                   : (unsigned)(s[i] - '0');

		sum += v << i;
	}
	if (!ok || (char)('0' + sum % 11 % 10) != s[10]) {
		return reject(c,
		              "BIC code must be 3 letters, U J or Z, 6 digits "
		              "and a valid ISO 6346 check digit");
	}
	return WB_OK;
}

static wb_err
imovn_check(struct ctx *c, const span *comp, size_t open)
{
	const char *s = comp[0].p;
	unsigned sum = 0;
	bool ok = comp[0].n == 7 && span_digits(comp[0]);

	(void)open;
	for (size_t i = 0; ok && i < 6; i++) {
		sum += (unsigned)(s[i] - '0') * (unsigned)(7 - i);
	}
	if (!ok || (char)('0' + sum % 10) != s[6]) {
		return reject(c,
		              "IMO vessel number must be 7 digits with a valid "
		              "check digit");
	}
	return WB_OK;
}

struct other_scheme {
	const char *name;
	const char *syntax;
	size_t ncomp;
	bool has_pattern;
	wb_err (*check)(struct ctx *c, const span *comp, size_t open);
};

static const struct other_scheme other_schemes[] = {
	{ "gid", "ManagerNumber.ObjectClass.SerialNumber", 3, true, gid_check },
	{ "usdod", "CAGEOrDODAAC.SerialNumber", 2, true, usdod_check },
	{ "adi", "CAGEOrDODAAC.OriginalPartNumber.Serial", 3, true, adi_check },
	{ "bic", "BICcontainerCode", 1, false, bic_check },
	{ "imovn", "IMOvesselNumber", 1, false, imovn_check },
};

static const struct other_scheme *
other_scheme_find(span name)
{
	for (size_t i = 0; i < sizeof(other_schemes) / sizeof(other_schemes[0]);
	     i++) {
		if (span_eq(name, other_schemes[i].name)) {
			return &other_schemes[i];
		}
	}
	return NULL;
}

static wb_err
epc_other(struct ctx *c, const struct other_scheme *s, span body, bool pattern)
{
	span comp[3];
	size_t open = s->ncomp;
	wb_err rc;

	if (pattern && !s->has_pattern) {
		return reject(c, "the %s scheme has no pattern URI", s->name);
	}
	if (body.n == 0 || !split_dots(body, comp, s->ncomp)) {
		return reject(c, "must look like urn:epc:%s:%s:%s",
		              pattern ? "idpat" : "id", s->name, s->syntax);
	}
	if (pattern && (rc = pattern_open(c, comp, s->ncomp, &open)) != WB_OK) {
		return rc;
	}
	if ((rc = s->check(c, comp, open)) != WB_OK) {
		return rc;
	}
	key_epc_uri(c);
	c->out->kind = WB_ID_EPC_OTHER;
	return WB_OK;
}

/* ---- EPC URI dispatch ---- */

static wb_err
epc_scheme(struct ctx *c, span scheme, span body, bool pattern)
{
	const struct gs1_scheme *g = gs1_scheme_find(scheme);
	const struct other_scheme *o = other_scheme_find(scheme);

	if (g != NULL) {
		return epc_gs1(c, g, body, pattern);
	}
	if (o != NULL) {
		return epc_other(c, o, body, pattern);
	}
	return reject(c,
	              "unknown EPC scheme '%.*s' (TDS schemes: sgtin sscc "
	              "sgln grai giai gsrn gsrnp gdti cpi sgcn ginc gsin itip "
	              "upui pgln gid usdod adi bic imovn)",
	              (int)(scheme.n < 24 ? scheme.n : 24), scheme.p);
}

static wb_err
epc_parse(struct ctx *c)
{
	span rest = mkspan(c->id + 8, c->len - 8), cat, scheme;

	if (!take_until(&rest, ':', &cat)) {
		return reject(c, "must look like urn:epc:id:<scheme>:<value>");
	}
	if (span_eq(cat, "tag") || span_eq(cat, "raw") || span_eq(cat, "pat")) {
		return reject(c,
		              "a tag-level EPC URI is not a twin ID: use the "
		              "pure identity urn:epc:id:...");
	}
	if (!take_until(&rest, ':', &scheme)) {
		return reject(c, "must look like urn:epc:id:<scheme>:<value>");
	}
	if (span_eq(cat, "id") || span_eq(cat, "idpat")) {
		return epc_scheme(c, scheme, rest, span_eq(cat, "idpat"));
	}
	if (span_eq(cat, "class")) {
		if (span_eq(scheme, "lgtin")) {
			return epc_gs1(c, lgtin_scheme, rest, false);
		}
		return reject(c, "the only EPC class scheme is lgtin");
	}
	return reject(c, "unknown EPC URI type: use urn:epc:id:, "
	                 "urn:epc:class:lgtin: or urn:epc:idpat:");
}

/* ---- GS1 Digital Link ---- */

/*
 * Application Identifiers of Digital Link paths (DL 1.2 grammar, GS1 General
 * Specifications): a value is ndig digits (the first check_len of them
 * covered by a check digit), then min..max characters of set.
 */
struct dl_ai {
	const char *ai;
	const char *quals; /* primary: key qualifiers allowed, in order */
	const char *alone; /* primary: a qualifier allowed only alone */
	unsigned char ndig;
	unsigned char check_len;
	unsigned char set;
	unsigned char min, max;
	unsigned char kind; /* kind when the path ends with this AI */
	unsigned char bare; /* primary: kind when the optional part is empty */
	bool primary;
	bool gtin; /* GTIN-8/12/13 padded to 14 digits */
	bool lead0;
};

#define DL_RANK_ALONE 8

#define ITEM  WB_ID_GS1_ITEM
#define CLASS WB_ID_GS1_CLASS
#define PARTY WB_ID_GS1_PARTY

static const struct dl_ai dl_ais[] = {
	{ "01", "22 10 21", "235", 14, 14, CS_DIGITS, 0, 0, CLASS, CLASS, true,
	  true, false },
	{ "8006", "22 10 21", NULL, 18, 14, CS_DIGITS, 0, 0, CLASS, CLASS, true,
	  false, false },
	{ "00", NULL, NULL, 18, 18, CS_DIGITS, 0, 0, ITEM, ITEM, true, false,
	  false },
	{ "414", "254", NULL, 13, 13, CS_DIGITS, 0, 0, PARTY, PARTY, true,
	  false, false },
	{ "417", NULL, NULL, 13, 13, CS_DIGITS, 0, 0, PARTY, PARTY, true, false,
	  false },
	{ "8003", NULL, NULL, 14, 14, CS_X82, 0, 16, ITEM, CLASS, true, false,
	  true },
	{ "8004", NULL, NULL, 0, 0, CS_X82, 1, 30, ITEM, ITEM, true, false,
	  false },
	{ "8018", "8019", NULL, 18, 18, CS_DIGITS, 0, 0, ITEM, ITEM, true,
	  false, false },
	{ "8017", "8019", NULL, 18, 18, CS_DIGITS, 0, 0, ITEM, ITEM, true,
	  false, false },
	{ "253", NULL, NULL, 13, 13, CS_X82, 0, 17, ITEM, CLASS, true, false,
	  false },
	{ "255", NULL, NULL, 13, 13, CS_DIGITS, 0, 12, ITEM, CLASS, true, false,
	  false },
	{ "401", NULL, NULL, 0, 0, CS_X82, 1, 30, ITEM, ITEM, true, false,
	  false },
	{ "402", NULL, NULL, 17, 17, CS_DIGITS, 0, 0, ITEM, ITEM, true, false,
	  false },
	{ "8010", "8011", NULL, 0, 0, CS_Y39, 1, 30, CLASS, CLASS, true, false,
	  false },
	{ "22", NULL, NULL, 0, 0, CS_X82, 1, 20, CLASS, CLASS, false, false,
	  false },
	{ "10", NULL, NULL, 0, 0, CS_X82, 1, 20, CLASS, CLASS, false, false,
	  false },
	{ "21", NULL, NULL, 0, 0, CS_X82, 1, 20, ITEM, ITEM, false, false,
	  false },
	{ "235", NULL, NULL, 0, 0, CS_X82, 1, 28, ITEM, ITEM, false, false,
	  false },
	{ "254", NULL, NULL, 0, 0, CS_X82, 1, 20, PARTY, PARTY, false, false,
	  false },
	{ "8011", NULL, NULL, 0, 0, CS_DIGITS, 1, 12, ITEM, ITEM, false, false,
	  false },
	{ "8019", NULL, NULL, 0, 0, CS_DIGITS, 1, 10, ITEM, ITEM, false, false,
	  false },
};

#undef ITEM
#undef CLASS
#undef PARTY

static const struct dl_ai *
dl_ai_find(span seg)
{
	for (size_t i = 0; i < sizeof(dl_ais) / sizeof(dl_ais[0]); i++) {
		if (span_eq(seg, dl_ais[i].ai)) {
			return &dl_ais[i];
		}
	}
	return NULL;
}

/* A parsed Digital Link path: segments and where the primary key is. */
struct dl_path {
	span seg[SEG_MAX];
	size_t nseg;
	size_t primary; /* index of the primary key AI segment */
};

/* Splits the path of an http(s) URI into segments; false when it has none. */
static bool
dl_segments(const struct ctx *c, struct dl_path *dp)
{
	size_t i = has_prefix_ci(c->id, c->len, "https://") ? 8 : 7;
	size_t host = i, end;

	while (i < c->len && c->id[i] != '/' && c->id[i] != '?' &&
	       c->id[i] != '#') {
		i++;
	}
	if (i == host || i == c->len || c->id[i] != '/') {
		return false;
	}
	end = i;
	while (end < c->len && c->id[end] != '?' && c->id[end] != '#') {
		end++;
	}
	dp->nseg = 0;
	while (i < end) {
		size_t s = ++i;

		if (dp->nseg == SEG_MAX) {
			return false;
		}
		while (i < end && c->id[i] != '/') {
			i++;
		}
		dp->seg[dp->nseg++] = mkspan(c->id + s, i - s);
	}
	return true;
}

/*
 * Reads the path from its end in AI/value pairs: known key qualifiers are
 * skipped until a primary key AI. Everything before it is the custom prefix.
 */
static bool
dl_find_primary(struct dl_path *dp)
{
	size_t i = dp->nseg;

	while (i >= 2) {
		const struct dl_ai *a = dl_ai_find(dp->seg[i - 2]);

		if (a == NULL) {
			return false;
		}
		if (a->primary) {
			dp->primary = i - 2;
			return true;
		}
		i -= 2;
	}
	return false;
}

/* Does the decoded value have the AI's shape (length, digits, set)? */
static bool
dl_shape(const struct dl_ai *a, const field *f)
{
	span digits = mkspan(f->s, f->n < a->ndig ? f->n : a->ndig);
	size_t rest = f->n - digits.n;

	if (a->gtin) {
		return span_digits(digits) &&
		       (f->n == 8 || f->n == 12 || f->n == 13 || f->n == 14);
	}
	if (digits.n != a->ndig || !span_digits(digits)) {
		return false;
	}
	for (size_t i = digits.n; i < f->n; i++) {
		if (!in_set((unsigned char)f->s[i], a->set)) {
			return false;
		}
	}
	return rest >= a->min && rest <= a->max;
}

/* Left-pads a GTIN-8/12/13 with zeros to 14 digits. */
static void
dl_pad_gtin(field *f)
{
	size_t pad = 14 - f->n;

	memmove(f->s + pad, f->s, f->n + 1);
	memset(f->s, '0', pad);
	f->n = 14;
}

static wb_err
dl_primary_valid(struct ctx *c, const struct dl_ai *a, const field *f)
{
	char want;

	if (a->lead0 && f->s[0] != '0') {
		return reject(c, "a GRAI in (%s) must start with 0", a->ai);
	}
	if (a->check_len == 0) {
		return WB_OK;
	}
	want = check_digit(f->s, a->check_len - 1u);
	if (f->s[a->check_len - 1] != want) {
		return reject(c, "check digit of (%s) %.*s is %c, expected %c",
		              a->ai, (int)a->check_len, f->s,
		              f->s[a->check_len - 1], want);
	}
	return WB_OK;
}

/* Position of qualifier q in a primary's list ("22 10 21"); the qualifier
 * allowed only alone ranks after all of them; -1 when q is not allowed. */
static int
dl_qual_rank(const struct dl_ai *primary, const struct dl_ai *q)
{
	span list = mkspan(primary->quals ? primary->quals : "", 0), tok;
	int rank = 0;

	list.n = strlen(list.p);
	while (list.n > 0) {
		if (!take_until(&list, ' ', &tok)) {
			tok = list;
			list.n = 0;
		}
		if (span_eq(tok, q->ai)) {
			return rank;
		}
		rank++;
	}
	if (primary->alone != NULL && strcmp(primary->alone, q->ai) == 0) {
		return DL_RANK_ALONE;
	}
	return -1;
}

/*
 * Checks the qualifiers after the primary key: allowed, in order, well
 * formed. The last one, the only one keyed, goes to *last and *last_val.
 */
static wb_err
dl_qualifiers(struct ctx *c, const struct dl_path *dp, const struct dl_ai *pk,
              const struct dl_ai **last, field *last_val)
{
	int prev = -1;

	*last = NULL;
	for (size_t i = dp->primary + 2; i + 1 < dp->nseg; i += 2) {
		const struct dl_ai *q = dl_ai_find(dp->seg[i]);
		int rank = q != NULL ? dl_qual_rank(pk, q) : -1;

		if (q == NULL) {
			return reject(c, "unknown AI after (%s)", pk->ai);
		}
		if (rank < 0 || rank <= prev ||
		    (rank == DL_RANK_ALONE && prev >= 0)) {
			return reject(c,
			              "(%s) may not follow (%s) here: "
			              "qualifiers go in the order the "
			              "Digital Link standard gives",
			              q->ai, pk->ai);
		}
		if (!decode(last_val, dp->seg[i + 1], q->set, false) ||
		    !field_fits(last_val, q->set, q->min, q->max)) {
			return reject(c, "(%s) must be %u to %u %s", q->ai,
			              (unsigned)q->min, (unsigned)q->max,
			              set_hint(q->set));
		}
		prev = rank;
		*last = q;
	}
	return WB_OK;
}

static void
dl_key(struct ctx *c, const struct dl_ai *pk, const field *pv,
       const struct dl_ai *q, const field *qv)
{
	key_reset(c);
	key_ai(c, pk->ai);
	key_put(c, pv->s, pv->n);
	c->out->kind = pv->n > pk->ndig ? pk->kind : pk->bare;
	if (q == NULL ||
	    (strcmp(q->ai, "254") == 0 && qv->n == 1 && qv->s[0] == '0')) {
		return; /* as SGLN extension 0: the GLN itself */
	}
	key_ai(c, q->ai);
	key_put(c, qv->s, qv->n);
	c->out->kind = q->kind;
}

/* A Digital Link: *is_dl is false when the URI is not one (keyed as given). */
static wb_err
dl_parse(struct ctx *c, bool *is_dl)
{
	struct dl_path dp;
	const struct dl_ai *pk, *q;
	field pv, qv;
	wb_err rc;

	*is_dl = false;
	if (!dl_segments(c, &dp) || !dl_find_primary(&dp)) {
		return WB_OK;
	}
	pk = dl_ai_find(dp.seg[dp.primary]);
	if (!decode(&pv, dp.seg[dp.primary + 1], pk->set, false) ||
	    !dl_shape(pk, &pv)) {
		return WB_OK;
	}
	*is_dl = true;
	if (pk->gtin) {
		dl_pad_gtin(&pv);
	}
	if ((rc = dl_primary_valid(c, pk, &pv)) != WB_OK ||
	    (rc = dl_qualifiers(c, &dp, pk, &q, &qv)) != WB_OK) {
		return rc;
	}
	dl_key(c, pk, &pv, q, &qv);
	return WB_OK;
}

/* ---- public ---- */

static bool
is_http(const char *id, size_t len)
{
	return has_prefix_ci(id, len, "http://") ||
	       has_prefix_ci(id, len, "https://");
}

static void
key_as_given(struct ctx *c)
{
	key_reset(c);
	key_put(c, c->id, c->len);
	c->out->kind = WB_ID_OTHER;
}

wb_err
wb_id_parse(wb_twin_id *out, const char *id, size_t len, wb_problem *p)
{
	struct ctx c = { out, p, id, len, "ID", false };
	bool is_dl = false;
	wb_err rc;

	if (out == NULL || (id == NULL && len > 0)) {
		return WB_EINVAL;
	}
	out->key[0] = '\0';
	out->key_len = 0;
	out->kind = WB_ID_OTHER;
	if ((rc = check_text(id, len, p)) != WB_OK) {
		return rc;
	}
	if (has_prefix_ci(id, len, "urn:epc:")) {
		c.form = "EPC URI";
		rc = epc_parse(&c);
	} else if (is_http(id, len)) {
		c.form = "Digital Link";
		rc = dl_parse(&c, &is_dl);
		if (rc == WB_OK && !is_dl) {
			key_as_given(&c);
		}
	} else {
		key_as_given(&c);
	}
	if (rc == WB_OK && c.overflow) {
		rc = reject(&c, "canonical key longer than %d bytes",
		            WB_KEY_MAX);
	}
	if (rc != WB_OK) {
		key_reset(&c);
		out->kind = WB_ID_OTHER;
	}
	return rc;
}

static bool
digits_at(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

bool
wb_id_class_of(char out[WB_KEY_MAX + 1], const char *key)
{
	const char *gtin = NULL;

	if (out == NULL || key == NULL) {
		return false;
	}
	if (strncmp(key, "(01)", 4) == 0 && digits_at(key + 4, 14) &&
	    (strncmp(key + 18, "(21)", 4) == 0 ||
	     strncmp(key + 18, "(235)", 5) == 0)) {
		gtin = key + 4; /* SGTIN, UPUI */
	} else if (strncmp(key, "(8006)", 6) == 0 && digits_at(key + 6, 18) &&
	           strncmp(key + 24, "(21)", 4) == 0) {
		gtin = key + 6; /* ITIP: a piece of the trade item */
	}
	if (gtin == NULL) {
		return false;
	}
	memcpy(out, "(01)", 4);
	memcpy(out + 4, gtin, 14);
	out[18] = '\0';
	return true;
}

bool
wb_id_company_prefix_valid(const char *prefix)
{
	size_t n;

	if (prefix == NULL) {
		return false;
	}
	n = strlen(prefix);
	return n >= NS_CP_MIN && n <= NS_CP_MAX && digits_at(prefix, n);
}

/* Where the company prefix stands in each GS1 key: after `skip` digits. */
static const struct {
	const char *head;
	size_t skip;
} ns_heads[] = {
	{ "(01)", 1 },   { "(8006)", 1 }, { "(00)", 1 },   { "(8003)", 1 },
	{ "(414)", 0 },  { "(417)", 0 },  { "(8004)", 0 }, { "(8018)", 0 },
	{ "(8017)", 0 }, { "(253)", 0 },  { "(255)", 0 },  { "(401)", 0 },
	{ "(402)", 0 },  { "(8010)", 0 },
};

static bool
gs1_key_in_prefix(const char *key, const char *prefix)
{
	for (size_t i = 0; i < sizeof(ns_heads) / sizeof(ns_heads[0]); i++) {
		size_t hl = strlen(ns_heads[i].head);
		const char *at = key + hl;

		if (strncmp(key, ns_heads[i].head, hl) != 0) {
			continue;
		}
		if (!digits_at(at, ns_heads[i].skip)) {
			return false;
		}
		at += ns_heads[i].skip;
		return strncmp(at, prefix, strlen(prefix)) == 0;
	}
	return false;
}

/* A pattern key "urn:epc:idpat:<gs1 scheme>:<CP>.*...": CP under prefix. */
static bool
pattern_in_prefix(const char *key, const char *prefix)
{
	span rest, scheme, cp;

	if (strncmp(key, "urn:epc:idpat:", 14) != 0) {
		return false;
	}
	rest = mkspan(key + 14, strlen(key + 14));
	if (!take_until(&rest, ':', &scheme) ||
	    gs1_scheme_find(scheme) == NULL || !take_until(&rest, '.', &cp) ||
	    !span_digits(cp)) {
		return false;
	}
	return cp.n >= strlen(prefix) &&
	       memcmp(cp.p, prefix, strlen(prefix)) == 0;
}

bool
wb_id_in_company_prefix(const char *key, const char *prefix)
{
	if (key == NULL || !wb_id_company_prefix_valid(prefix)) {
		return false;
	}
	return key[0] == '(' ? gs1_key_in_prefix(key, prefix)
	                     : pattern_in_prefix(key, prefix);
}

bool
wb_id_in_literal_prefix(const char *id, const char *key, const char *prefix)
{
	size_t n;

	/* An empty prefix would hand out every ID: it matches nothing. */
	if (prefix == NULL || (n = strlen(prefix)) == 0) {
		return false;
	}
	return (id != NULL && strncmp(id, prefix, n) == 0) ||
	       (key != NULL && strncmp(key, prefix, n) == 0);
}
