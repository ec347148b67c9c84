"""The sample source serves the same bytes on every run and machine: a SHA-256 of every reply body it serves for the
fall-back week (2024-11-01..07) and the spring-forward days (2024-03-09..11), per door, pinned. Tests, the demo's
warehouse and every offline backfill depend on the sample's numbers: a change here must be deliberate, and then the
pins are recomputed (last: the world's generator changed to vectorised counter-based noise, issue 16)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from collections.abc import Iterator

import httpx
import pytest

from energylake.contracts.zones import zone_points
from energylake.sample import SampleServer
from energylake.sample.ercot_archive import REPORT_BY_EMIL
from energylake.sample.ercot_reports import REPORTS
from energylake.settings import Settings
from energylake.timeconv import local_day_bounds_utc
from tests.support.sample_auth import signed_in_headers

SETTINGS = Settings()
FALL_WEEK = [dt.date(2024, 11, day) for day in range(1, 8)]
SPRING_DAYS = [dt.date(2024, 3, day) for day in range(9, 12)]
DAYS = FALL_WEEK + SPRING_DAYS
DST_DAYS = (dt.date(2024, 11, 3), dt.date(2024, 3, 10))
# Inside the fall-back week's last day: its real-time intervals and forecast postings stop at the clock.
NOW = dt.datetime(2024, 11, 7, 18, 7, tzinfo=dt.UTC)
ODD_POINT = (31.5, -99.9)  # no weather zone's point: the model runs at the cell itself

# The world's generator changed (issue 16: numpy, counter-based noise): pins recomputed from the vectorised generator.
PINNED = {
    "api": "d786650c1ffdb8baf7d204c47a77e6c625155382f871ff32afbebff17fde6bad",
    "archive": "cb17b83a734c11c9b167db93d4a65e439a1969f9019afa5abd8319fe51c95349",
    "mis": "e47301378f2abb1f225eb74c081d2904fc59044ff8f8c42b5ea7aa3bdf0b103a",
    "open-meteo": "a18505b175a88ca07cdb2f3e4acbbf9c106c8e8caa346baeabe2ef664f1e7f0c",
    "fuel-mix": "ae4e18de00b9ef81ba9cd9975d97ba2044673020c05e294dbfbcf36909c673e1",
}


def _server(now: dt.datetime = NOW) -> SampleServer:
    return SampleServer(SETTINGS, now=now, throttle_every=0)


def _bearer(server: SampleServer) -> dict[str, str]:
    return signed_in_headers(server, SETTINGS)


def _api_replies() -> Iterator[httpx.Response]:
    server = _server()
    headers = _bearer(server)
    for spec in REPORTS.values():
        report = spec.report
        for day in DAYS:
            params = {report.date_from_param: day.isoformat(), report.date_to_param: day.isoformat(), "size": "1000000"}
            url = f"{SETTINGS.ercot_api_url}{report.path}"
            yield server.handle(httpx.Request("GET", url, params=params, headers=headers))


def _archive_replies() -> Iterator[httpx.Response]:
    server = _server()
    headers = _bearer(server)
    for emil in REPORT_BY_EMIL:
        base = f"{SETTINGS.ercot_api_url}/archive/{emil}"
        for day in DST_DAYS:
            window = {"postDatetimeFrom": f"{day}T00:00:00", "postDatetimeTo": f"{day}T23:59:59"}
            listing = server.handle(httpx.Request("GET", base, params=window, headers=headers))
            yield listing
            doc_ids = [document["docId"] for document in listing.json()["archives"]]
            assert doc_ids, f"no {emil} documents listed on {day}"
            bulk = server.handle(httpx.Request("POST", f"{base}/download", json={"docIds": doc_ids}, headers=headers))
            yield _members(bulk)
            single = {"download": str(doc_ids[-1])}
            yield server.handle(httpx.Request("GET", base, params=single, headers=headers))


def _members(bulk: httpx.Response) -> httpx.Response:
    """A bulk download as its members' names and bytes (what they hold is what is pinned)."""
    with zipfile.ZipFile(io.BytesIO(bulk.content)) as archive:
        content = b"".join(f"{name} {len(data)}\n".encode() + data for name, data in _read_all(archive))
    return httpx.Response(bulk.status_code, content=content)


def _read_all(archive: zipfile.ZipFile) -> list[tuple[str, bytes]]:
    return [(name, archive.read(name)) for name in archive.namelist()]


def _mis_replies() -> Iterator[httpx.Response]:
    server = _server()
    for spec in REPORTS.values():
        rtid = str(spec.report.mis_report_type_id)
        listing = server.handle(
            httpx.Request(
                "GET", f"{SETTINGS.ercot_web_url}/misapp/servlets/IceDocListJsonWS", params={"reportTypeId": rtid}
            )
        )
        yield listing
        documents = [entry["Document"] for entry in listing.json()["ListDocsByRptTypeRes"]["DocumentList"]]
        for document in documents:
            published = dt.datetime.fromisoformat(document["PublishDate"].removesuffix("-05:00"))
            if published.date() != DST_DAYS[0]:
                continue  # the fall-back day's documents (every kind of posting, the repeated hour)
            yield server.handle(
                httpx.Request(
                    "GET",
                    f"{SETTINGS.ercot_web_url}/misdownload/servlets/mirDownload",
                    params={"doclookupId": document["DocID"]},
                )
            )


def _open_meteo_replies() -> Iterator[httpx.Response]:
    server = _server()
    points = [(point.latitude, point.longitude) for point in zone_points()] + [ODD_POINT]
    latitudes = ",".join(str(latitude) for latitude, _ in points)
    longitudes = ",".join(str(longitude) for _, longitude in points)
    variables = "temperature_2m,relative_humidity_2m,dew_point_2m,apparent_temperature,cloud_cover,precipitation,"
    variables += "shortwave_radiation,direct_normal_irradiance,wind_speed_10m,wind_speed_100m,wind_direction_100m"
    for url in (SETTINGS.open_meteo_archive_url, SETTINGS.open_meteo_historical_forecast_url):
        for first, last in ((FALL_WEEK[0], FALL_WEEK[-1]), (SPRING_DAYS[0], SPRING_DAYS[-1])):
            params = {
                "latitude": latitudes,
                "longitude": longitudes,
                "hourly": variables,
                "start_date": first.isoformat(),
                "end_date": last.isoformat(),
                "wind_speed_unit": "ms",
                "timezone": "GMT",
            }
            yield server.handle(httpx.Request("GET", url, params=params))


def _fuel_mix_replies() -> Iterator[httpx.Response]:
    for day in DST_DAYS:
        # Late on the DST day: the dashboard covers the day before and the DST day up to the clock.
        server = _server(local_day_bounds_utc(day)[1] - dt.timedelta(minutes=50))
        url = f"{SETTINGS.ercot_web_url}/api/1/services/read/dashboards/fuel-mix.json"
        yield server.handle(httpx.Request("GET", url))


DOORS = {
    "api": _api_replies,
    "archive": _archive_replies,
    "mis": _mis_replies,
    "open-meteo": _open_meteo_replies,
    "fuel-mix": _fuel_mix_replies,
}


def digest(replies: Iterator[httpx.Response]) -> str:
    """SHA-256 over every reply's status and body, in order, with each body's length (so bodies cannot run into
    each other)."""
    hasher = hashlib.sha256()
    for reply in replies:
        assert reply.status_code == 200, reply.text[:300]
        hasher.update(f"{reply.status_code} {len(reply.content)}\n".encode())
        hasher.update(reply.content)
    return hasher.hexdigest()


@pytest.mark.parametrize("door", list(DOORS))
def test_the_sample_serves_the_pinned_bytes(door: str) -> None:
    # GIVEN the sample's replies of one door over the fall-back week and the spring-forward days, DST days included
    # WHEN they are hashed
    # THEN the digest is the pinned one (the same on every run and machine)
    assert digest(DOORS[door]()) == PINNED[door], f"the sample's {door} replies changed"


def test_a_single_changed_body_changes_the_digest() -> None:
    # GIVEN two reply sequences that differ in one byte of one body
    same = [httpx.Response(200, content=b'{"a":1}'), httpx.Response(200, content=b"xyz")]
    changed = [httpx.Response(200, content=b'{"a":2}'), httpx.Response(200, content=b"xyz")]
    # WHEN both are digested THEN the digests differ (the pins above can catch a change)
    assert digest(iter(same)) != digest(iter(changed))
    # AND moving bytes between bodies changes it too (each body's length is hashed)
    moved = [httpx.Response(200, content=b'{"a":1}x'), httpx.Response(200, content=b"yz")]
    assert digest(iter(same)) != digest(iter(moved))


def test_a_bulk_download_is_the_same_bytes_whatever_the_time_it_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the real-time documents listed for the fall-back day's repeated hour
    server = _server()
    headers = _bearer(server)
    base = f"{SETTINGS.ercot_api_url}/archive/np6-905-cd"
    window = {"postDatetimeFrom": "2024-11-03T01:00:00", "postDatetimeTo": "2024-11-03T02:00:00"}
    listed = server.handle(httpx.Request("GET", base, params=window, headers=headers)).json()["archives"]
    doc_ids = [document["docId"] for document in listed]
    # WHEN the same bulk download is asked at two different times of the machine's clock
    bodies = []
    for clock in (1_700_000_000.0, 1_800_000_000.0):
        monkeypatch.setattr(zipfile.time, "time", lambda clock=clock: clock)
        reply = server.handle(httpx.Request("POST", f"{base}/download", json={"docIds": doc_ids}, headers=headers))
        bodies.append(reply.content)
    # THEN both are the same bytes
    assert bodies[0] == bodies[1]
    # AND each member is stamped with its posting's Central wall clock, as its listing label says
    with zipfile.ZipFile(io.BytesIO(bodies[0])) as archive:
        stamps = [info.date_time for info in archive.infolist()]
    assert stamps == [dt.datetime.fromisoformat(document["postDatetime"]).timetuple()[:6] for document in listed]
