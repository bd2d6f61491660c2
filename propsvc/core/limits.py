"""How far from now a date or time typed into a form may lie, by what it means: the one place
for these limits. Forms check them field by field (core.forms.Within, core.forms.After); the
services that decide on a record (a pass inside its permit, a notice's length) read them from
here too. README.md (*Dates and times in forms*) lists them.

A window is relative to the moment the form is posted: `back` before now (or today, for a
date) up to `ahead` after it. Any year outside EARLIEST_YEAR…LATEST_YEAR is a typing slip
(0001, 9999) and is refused while parsing, before any time-zone arithmetic can overflow.
"""
from dataclasses import dataclass
from datetime import timedelta

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
NOW_SLACK = timedelta(minutes=10)  # "not later than now": a clock a few minutes fast is no error


def days(n: int) -> timedelta:
    return timedelta(days=n)


@dataclass(frozen=True)
class Window:
    back: timedelta  # how far before now / today (0: not in the past)
    ahead: timedelta  # how far after now / today
    message: str  # the field's error when outside, in Chinese, naming the limit


# --- tickets ------------------------------------------------------------------------------
PAUSE_DAYS = 90
TICKET_PAUSE_UNTIL = Window(timedelta(0), days(PAUSE_DAYS),
                            f"预约时间须晚于现在，且在{PAUSE_DAYS}天之内。")
DELAY_DAYS = 365
TICKET_DELAY_TO = Window(timedelta(0), days(DELAY_DAYS), "新的预计完成时间须晚于现在，且在一年之内。")
REPLY_DAYS = 90
TICKET_REPLY_DUE = Window(timedelta(0), days(REPLY_DAYS), f"约定答复时间须晚于现在，且在{REPLY_DAYS}天之内。")

# --- outages (停水/停电): recorded a little after they began, announced ahead of time ----------
OUTAGE_BACK_HOURS, OUTAGE_AHEAD_DAYS, OUTAGE_MAX_DAYS = 24, 90, 30
OUTAGE_STARTS = Window(timedelta(hours=OUTAGE_BACK_HOURS), days(OUTAGE_AHEAD_DAYS),
                       f"开始时间最早为{OUTAGE_BACK_HOURS}小时前，最晚为{OUTAGE_AHEAD_DAYS}天后。")
OUTAGE_LENGTH = days(OUTAGE_MAX_DAYS)
OUTAGE_LENGTH_MESSAGE = f"预计恢复时间应晚于开始时间，且在开始后{OUTAGE_MAX_DAYS}天之内。"

# --- the working calendar's holidays -----------------------------------------------------
HOLIDAY_DAY = Window(days(366), days(2 * 366), "日期须在一年前至两年后之间。")

# --- renovation [R1], its extensions [R6] and worker passes [R4] ------------------------------
RENOVATION_BACK_DAYS = 366  # a renovation already under way may be recorded late (taking over a site)
RENOVATION_STARTS = Window(days(RENOVATION_BACK_DAYS), days(366), "计划开工日期须在一年前至一年后之间。")
RENOVATION_LENGTH = days(731)  # the longest default period is 24 months
RENOVATION_LENGTH_MESSAGE = "计划完工日期必须晚于开工日期，装修期最长两年。"
EXTENSION_NEW_END = Window(timedelta(0), days(2 * 366), "新的完工日期不能早于今天，且在两年之内。")
EXTENSION_MAX = days(366)  # one extension moves the end by at most a year
PASS_VALID_UNTIL = Window(timedelta(0), days(2 * 366), "有效期不能早于今天，也不能晚于两年后。")  # and inside the permit (service)

# --- the front desk --------------------------------------------------------------------------
SLIP_DAYS_AHEAD = 30  # a release slip's moving date: today … 30 days ahead [S1]
ARRIVAL_BACK = days(60)  # a parcel's or letter's arrival: now (NOW_SLACK) … 60 days ago (errands.services)
NOTICE_MAX_DAYS = 366  # a notice is shown at most a year
NOTICE_FROM = Window(days(366), days(366), "开始展示日期须在一年前至一年后之间。")

# --- cover (代班) -----------------------------------------------------------------------------
COVER_MAX_DAYS = 92
COVER_STARTS = Window(days(31), days(366), "开始日期须在一个月前至一年后之间。")
