"""Visitors (访客) [F1]: register, who is on site now, sign-out, a day's list."""
