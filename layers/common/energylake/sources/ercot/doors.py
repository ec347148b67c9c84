"""Which door each ERCOT operating day comes through: a pure function of the catalog, the day and today.

Newest first, per dataset (:data:`~energylake.contracts.datasets.CATALOG`):

* ``ercot-dashboard`` - the fuel-mix dashboard, for the previous and the current day only;
* ``ercot-api`` - the Public Reports API's data endpoints, for the last ``reach_days`` days (about 90), with
  credentials. A day there that answers no rows falls back to the archive at run time (the client does it);
* ``ercot-mis`` - the no-login MIS files, for the last few days, without credentials;
* ``ercot-archive`` - the API's archive endpoints, from the product's first day, with credentials;
* ``ercot-yearly`` - ERCOT's yearly historical files, for complete years from ``first_year`` (no login);
* ``None`` - no door reaches the day: :func:`unreachable_reason` says why, and what would help.
"""

from __future__ import annotations

import datetime as dt

from energylake.contracts.datasets import Dataset, ErcotDoor

MIS_REACH_DAYS = 5  # the MIS listing is a rolling window of the last few days (the sample serves five)
DASHBOARD_REACH_DAYS = 1  # yesterday and today


def ercot_door(dataset: Dataset, day: dt.date, *, today: dt.date, credentials: bool) -> ErcotDoor | None:
    """The door ``day`` of ``dataset`` comes through, seen from ``today`` (Central), or None when none reaches it."""
    age = (today - day).days
    if dataset.dashboard is not None and 0 <= age <= DASHBOARD_REACH_DAYS:
        return "ercot-dashboard"
    if dataset.api is not None and age <= dataset.api.reach_days:
        if credentials:
            return "ercot-api"
        if age <= MIS_REACH_DAYS:
            return "ercot-mis"
    if credentials and dataset.archive is not None and day >= dataset.archive.first_day and age >= 0:
        return "ercot-archive"
    if dataset.yearly is not None and dataset.yearly.first_year <= day.year < today.year:
        return "ercot-yearly"
    return None


def unreachable_reason(dataset: Dataset, day: dt.date, *, today: dt.date, credentials: bool) -> str:
    """Why no door reaches ``day`` of ``dataset``, naming what would help (a message for a user)."""
    if day > today:
        return f"{day} is after today ({today}): ERCOT has not published it"
    reaches = []
    if dataset.dashboard is not None:
        reaches.append(f"the dashboard covers {today - dt.timedelta(days=DASHBOARD_REACH_DAYS)}..{today}")
    if dataset.api is not None and not credentials:
        reaches.append(
            f"without API credentials only the last {MIS_REACH_DAYS} days (MIS files) are reachable: set "
            "ENERGYLAKE_ERCOT_USERNAME, ENERGYLAKE_ERCOT_PASSWORD, ENERGYLAKE_ERCOT_SUBSCRIPTION_KEY for the "
            "data endpoints and the archive"
        )
    if dataset.archive is not None:
        reaches.append(f"ERCOT's archive of {dataset.archive.emil_id} starts {dataset.archive.first_day}")
    if dataset.yearly is not None:
        reaches.append(
            f"ERCOT's yearly {dataset.yearly.product} files cover {dataset.yearly.first_year}..{today.year - 1}"
        )
    elif dataset.archive is None and dataset.api is None:
        reaches.append("ERCOT publishes no history of it")
    return f"no ERCOT door reaches {dataset.name} on {day}: " + "; ".join(reaches)
