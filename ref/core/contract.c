#include "core/contract.h"

const char *ps_outcome_name(enum ps_outcome o)
{
	switch (o) {
	case PS_SUCCESS:
		return "SUCCESS";
	case PS_PARTIAL:
		return "PARTIAL";
	case PS_FAILED:
		return "FAILED";
	case PS_PENDING:
	default:
		return "PENDING";
	}
}
