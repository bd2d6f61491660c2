"""Fees, arrears and the steward's daily collection round [D4]."""
