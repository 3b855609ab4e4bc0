"""Reads an iCalendar or Atom document from standard input with independent parsers
(PyPI's `icalendar` and `feedparser`) and prints what they found as JSON, for the Rust
feed tests (tests/tests/feeds.rs) to check field by field.

    python3 tests/python/feeds.py ical < calendar.ics
    python3 tests/python/feeds.py atom < feed.atom
"""

import json
import sys
from datetime import timezone


def when(prop):
    if prop is None:
        return None
    dt = prop.dt
    return {
        "local": dt.isoformat(),
        "utc": dt.astimezone(timezone.utc).isoformat(),
        "tzid": prop.params.get("TZID"),
        "zone": str(dt.tzinfo) if dt.tzinfo is not None else None,
    }


def ical(data):
    import icalendar

    cal = icalendar.Calendar.from_ical(data)
    events = []
    for ev in cal.walk("VEVENT"):
        events.append(
            {
                "uid": str(ev.get("UID")),
                "summary": str(ev.get("SUMMARY")),
                "description": str(ev.get("DESCRIPTION", "")),
                "url": str(ev.get("URL", "")),
                "location": str(ev.get("LOCATION", "")),
                "status": str(ev.get("STATUS", "")),
                "start": when(ev.get("DTSTART")),
                "end": when(ev.get("DTEND")),
                "dtstamp": ev.get("DTSTAMP").dt.isoformat(),
                "last_modified": ev.get("LAST-MODIFIED").dt.isoformat()
                if ev.get("LAST-MODIFIED")
                else None,
            }
        )
    return {
        "version": str(cal.get("VERSION")),
        "prodid": str(cal.get("PRODID")),
        "name": str(cal.get("X-WR-CALNAME", cal.get("NAME", ""))),
        "timezones": [str(tz.get("TZID")) for tz in cal.walk("VTIMEZONE")],
        "events": events,
    }


def atom(data):
    import feedparser

    d = feedparser.parse(data)
    def links(obj):
        return [
            {"href": l.get("href"), "rel": l.get("rel"), "type": l.get("type")}
            for l in obj.get("links", [])
        ]
    entries = []
    for e in d.entries:
        content = e.get("content") or [{}]
        entries.append(
            {
                "id": e.get("id"),
                "title": e.get("title"),
                "link": e.get("link"),
                "links": links(e),
                "author": e.get("author"),
                "author_href": e.get("author_detail", {}).get("href"),
                "published": e.get("published"),
                "updated": e.get("updated"),
                "content": content[0].get("value"),
                "content_type": content[0].get("type"),
                "summary": e.get("summary"),
            }
        )
    return {
        "bozo": bool(d.bozo),
        "bozo_exception": str(d.get("bozo_exception", "")),
        "version": d.version,
        "title": d.feed.get("title"),
        "id": d.feed.get("id"),
        "updated": d.feed.get("updated"),
        "links": links(d.feed),
        "entries": entries,
    }


if __name__ == "__main__":
    kind = sys.argv[1]
    data = sys.stdin.buffer.read()
    print(json.dumps(ical(data) if kind == "ical" else atom(data)))
