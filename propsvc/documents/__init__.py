"""Printed documents shared by every area: work orders, renovation permits, worker passes,
release slips, the morning briefing. See `pdf` for the rules (plain data in, safe fetching,
embedded CJK font)."""
from .pdf import DocumentTooLong, FetchRefused, FontNotFoundError, cjk_font, qr_img, render_pdf, safe_fetcher

__all__ = ["DocumentTooLong", "FetchRefused", "FontNotFoundError", "cjk_font", "qr_img", "render_pdf", "safe_fetcher"]
