"""Form pieces every area uses: the one-time form key, and fields whose parse errors speak
Chinese (WTForms' own messages are English: "Not a valid integer value.")."""
import uuid

from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, DecimalField, HiddenField, IntegerField


class KeyedForm(FlaskForm):
    """A form with a one-time key: a double tap or a resend acts once (core.idempotency)."""

    client_key = HiddenField()

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        if not self.client_key.data:
            self.client_key.data = uuid.uuid4().hex


class _ChineseParseError:
    """Replaces the field's parse error with `parse_error` (a class default, or per field)."""

    parse_error = "格式不正确。"

    def __init__(self, *a, parse_error: str | None = None, **kw):
        super().__init__(*a, **kw)
        if parse_error:
            self.parse_error = parse_error

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(self.parse_error) from None


class ChineseDateField(_ChineseParseError, DateField):
    parse_error = "日期格式不正确，请按“年-月-日”填写。"


class ChineseDateTimeField(_ChineseParseError, DateTimeLocalField):
    parse_error = "时间格式不正确。"


class ChineseIntegerField(_ChineseParseError, IntegerField):
    parse_error = "请填写整数。"


class ChineseDecimalField(_ChineseParseError, DecimalField):
    parse_error = "请填写金额，如 20 或 20.50。"
