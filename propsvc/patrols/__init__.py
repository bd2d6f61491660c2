"""Patrols (巡查): checklists, plans, runs on the phone, rectification, the steward's day and the morning briefing."""
