"""Administration: staff accounts and importing the unit register."""
