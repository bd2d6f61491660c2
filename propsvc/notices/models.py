"""Notices (公告) [F2]: publish, show on the kiosk home and 今日, print A4: models."""
