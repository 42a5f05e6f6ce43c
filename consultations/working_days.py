"""Waiting time as the clinic counts it: Monday to Friday."""

import datetime


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Weekdays after ``start`` up to and including ``end``: a request sent on
    Friday evening has waited one working day on Monday, none over the weekend."""
    if end <= start:
        return 0
    weeks, extra = divmod((end - start).days, 7)
    days = weeks * 5
    for offset in range(1, extra + 1):
        if (start + datetime.timedelta(days=offset)).weekday() < 5:
            days += 1
    return days
