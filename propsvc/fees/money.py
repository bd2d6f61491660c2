"""Money kept exactly: integer fen (分) everywhere, never float. Parsing what people type and
showing amounts the Chinese way (1,234.50 元; 壹仟贰佰叁拾肆元伍角 on receipts)."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MAX_FEN = 10**11  # 10 亿元: more than any unit owes; guards against typos and overflow


class MoneyError(ValueError):
    """An amount that cannot be money; the message is for the user."""


def parse_yuan(text, *, allow_zero: bool = False, what: str = "金额") -> int:
    """'1,234.5' / '1234.50' / '¥12' → fen. Refuses negative, non-numeric, more than two
    decimals, NaN/∞ and absurd sizes, each with a Chinese message."""
    raw = str(text if text is not None else "").strip().replace(",", "").replace("，", "")
    raw = raw.removeprefix("¥").removeprefix("￥").removesuffix("元").strip()
    if not raw:
        raise MoneyError(f"请填写{what}。")
    not_a_number = f"{what}不是数字，请填写如 12.50 的金额（元）。"  # the text typed is not echoed
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise MoneyError(not_a_number) from None
    if not value.is_finite():
        raise MoneyError(not_a_number)
    if value < 0:
        raise MoneyError(f"{what}不能为负数。")
    if value.adjusted() >= 9:  # ≥ 10 亿元 (MAX_FEN), told before any arithmetic: 1e999999 would overflow
        raise MoneyError(f"{what}过大，请核对。")
    if value != 0 and value.adjusted() < -2:  # 0.001 and smaller (quantize of 1e-999999 would fail)
        raise MoneyError(f"{what}最多两位小数（精确到分）。")
    if value != value.quantize(Decimal("0.01")):
        raise MoneyError(f"{what}最多两位小数（精确到分）。")
    fen = int(value * 100)
    if fen == 0 and not allow_zero:
        raise MoneyError(f"{what}必须大于 0。")
    if fen >= MAX_FEN:
        raise MoneyError(f"{what}过大，请核对。")
    return fen


def yuan(fen: int | None) -> str:
    """1234550 → '12,345.50' (always two decimals, thousands separated)."""
    fen = int(fen or 0)
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def yuan_text(fen: int | None) -> str:
    """'12,345.50 元'."""
    return f"{yuan(fen)} 元"


def area_charge(area, rate_fen: int) -> int:
    """物业费 for one month: floor area (m², two decimals) × rate (fen per m² per month), rounded
    half up to the fen. Exact: Decimal arithmetic, one rounding."""
    if area is None:
        return 0
    return int((Decimal(str(area)) * rate_fen).quantize(Decimal(1), rounding=ROUND_HALF_UP))


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL = ("", "拾", "佰", "仟")
_BIG = ("", "万", "亿")


def _four(n: int) -> str:
    out, zero = "", False
    for pos in range(3, -1, -1):
        d = n // 10**pos % 10
        if d == 0:
            zero = bool(out)
        else:
            if zero:
                out += "零"
                zero = False
            out += _DIGITS[d] + _SMALL[pos]
    return out


def cn_upper(fen: int) -> str:
    """The amount in Chinese capitals as receipts print it: 123450 → 壹仟贰佰叁拾肆元伍角整."""
    fen = int(fen)
    if fen < 0:
        return "负" + cn_upper(-fen)
    whole, cents = divmod(fen, 100)
    jiao, fen_ = divmod(cents, 10)
    parts, groups, n = [], [], whole
    while n:
        groups.append(n % 10000)
        n //= 10000
    text, pending_zero = "", False
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            pending_zero = bool(text)
            continue
        if text and (pending_zero or g < 1000):
            text += "零"
        text += _four(g) + _BIG[i]
        pending_zero = False
    parts.append((text or "零") + "元")
    if jiao == 0 and fen_ == 0:
        return parts[0] + "整"
    if jiao:
        parts.append(_DIGITS[jiao] + "角")
    elif whole:
        parts.append("零")
    if fen_:
        parts.append(_DIGITS[fen_] + "分")
    else:
        parts.append("整")
    return "".join(parts)
