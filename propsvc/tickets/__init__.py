"""Service requests (工单): intake, dispatch, follow-up, return visit."""
