"""Masking of owners' phone and ID numbers [T9]."""


def mask_phone(value: str | None) -> str:
    """13812345678 → 138****5678; short or landline numbers keep only the last 4 digits."""
    if not value:
        return ""
    v = value.strip()
    if len(v) == 11 and v.isdigit():
        return f"{v[:3]}****{v[-4:]}"
    return "*" * max(len(v) - 4, 0) + v[-4:]


def mask_id(value: str | None) -> str:
    """440106199001011234 → 440106********1234: the first 6 (the issuing area) and the last 4."""
    if not value:
        return ""
    v = value.strip()
    if len(v) <= 10:
        return "*" * max(len(v) - 4, 0) + v[-4:] if len(v) > 4 else "*" * len(v)
    return v[:6] + "*" * (len(v) - 10) + v[-4:]
