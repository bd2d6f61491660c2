"""Registry forms, and the field checks every area's forms share for people's numbers."""
from wtforms.validators import ValidationError

from .validation import is_valid_id_number, is_valid_phone, normalize_id_number, normalize_phone

PHONE_MESSAGE = "电话号码格式不正确，请填写11位手机号或带区号的固定电话（如 020-12345678）。"
ID_NUMBER_MESSAGE = "身份证号码不正确，请核对18位号码（末位校验码、出生日期）。"


def valid_phone(form, field):
    """A validator: a mobile or landline number, stored normalised (an empty field is left to
    DataRequired/Optional)."""
    if field.data:
        field.data = normalize_phone(field.data)
        if not is_valid_phone(field.data):
            raise ValidationError(PHONE_MESSAGE)


def valid_id_number(form, field):
    """A validator: an 18-digit resident ID with its check digit and birth date, normalised."""
    if field.data:
        field.data = normalize_id_number(field.data)
        if not is_valid_id_number(field.data):
            raise ValidationError(ID_NUMBER_MESSAGE)


def strip_text(value):
    """A filter: surrounding spaces off."""
    return value.strip() if isinstance(value, str) else value
