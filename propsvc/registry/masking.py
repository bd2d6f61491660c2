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
    """110101199001011234 → 1101**********1234."""
    if not value:
        return ""
    v = value.strip()
    if len(v) <= 8:
        return "*" * len(v)
    return v[:4] + "*" * (len(v) - 8) + v[-4:]
