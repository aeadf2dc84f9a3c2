/* SPDX-License-Identifier: MIT */
#include "test.h"

#include <string.h>

#include "rpc.pb-c.h"

/* Every wb_err has a text and a Status twin with the same number. */
static void
test_err_every_code_has_text_and_status(void **state)
{
	(void)state;
	for (int e = 0; e < WB_ERR_COUNT_; e++) {
		const ProtobufCEnumValue *v;

		assert_string_not_equal(wb_strerror((wb_err)e),
		                        "unknown error");
		v = protobuf_c_enum_descriptor_get_value(
		        &waybill__v1__status__descriptor, e);
		assert_non_null(v);
	}
	assert_int_equal(waybill__v1__status__descriptor.n_values,
	                 WB_ERR_COUNT_);
	assert_string_equal(wb_strerror(WB_ERR_COUNT_), "unknown error");
	assert_int_equal(WAYBILL__V1__STATUS__STATUS_LEDGER_FULL, WB_ENOSPC);
	assert_int_equal(WAYBILL__V1__STATUS__STATUS_REJECTED, WB_EREJECTED);
}

/* Every wb_reject has a name, a text and a Reason twin. */
static void
test_err_every_reason_has_name_and_twin(void **state)
{
	(void)state;
	assert_int_equal(waybill__v1__reason__descriptor.n_values,
	                 WB_REJECT_COUNT_);
	for (int r = 0; r < WB_REJECT_COUNT_; r++) {
		assert_string_not_equal(wb_reject_name((wb_reject)r),
		                        "unknown");
		assert_string_not_equal(wb_reject_text((wb_reject)r),
		                        "unknown reason");
		assert_non_null(protobuf_c_enum_descriptor_get_value(
		        &waybill__v1__reason__descriptor, r));
	}
	assert_int_equal(WAYBILL__V1__REASON__REASON_BAD_SIGNATURE,
	                 WB_REJECT_BAD_SIGNATURE);
	assert_int_equal(WAYBILL__V1__REASON__REASON_UNKNOWN_STAKEHOLDER,
	                 WB_REJECT_UNKNOWN_STAKEHOLDER);
}

static void
test_err_reject_set_fills_problem(void **state)
{
	wb_problem p = { 0 };

	(void)state;
	assert_int_equal(wb_reject_set(&p, WB_REJECT_BAD_ID, "id %d", 7),
	                 WB_EREJECTED);
	assert_int_equal(p.reason, WB_REJECT_BAD_ID);
	assert_string_equal(p.msg, "id 7");
	assert_int_equal(wb_reject_set(NULL, WB_REJECT_CYCLE, "x"),
	                 WB_EREJECTED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_every_code_has_text_and_status),
		cmocka_unit_test(test_err_every_reason_has_name_and_twin),
		cmocka_unit_test(test_err_reject_set_fills_problem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
