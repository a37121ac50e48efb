"""Chart geometry for the dashboard and the annual report pages: server-drawn SVG (the
intranet reaches no CDN; templates/govshare/dashboard_charts.html draws it), each bar or
column a link to the list behind it."""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk

from ckanext.govshare import pages

# Chart geometry (SVG user units).
WIDTH, ROW, LABEL = 640, 26, 190


def bars(rows: list[tuple[str, Optional[float], str]], percent: bool = False) -> dict[str, Any]:
    """A horizontal bar chart: (label, value, link) per bar."""
    top = max([value or 0 for _, value, _ in rows] + [1 if percent else 0]) or 1
    span = WIDTH - LABEL - 70
    drawn = [{"label": label, "href": href, "y": i * ROW,
             "width": round((value or 0) / top * span, 1),
             "value": "–" if value is None else (f"{value:.0%}" if percent else f"{value:g}")}
            for i, (label, value, href) in enumerate(rows)]
    return {"bars": drawn, "height": max(len(drawn), 1) * ROW, "width": WIDTH, "label": LABEL,
            "span": span}


def months(series: list[dict[str, Any]], department: Optional[str]) -> dict[str, Any]:
    """Columns of requests received per month, and the on-time rate as a line (0–100 %)."""
    height, bottom, left = 220, 190, 40
    step = (WIDTH - left - 40) / max(len(series), 1)
    top = max([m["figures"]["share_requests_received"] + m["figures"]["open_applications_received"]
               for m in series] + [1])
    columns, points = [], []
    for i, month in enumerate(series):
        f = month["figures"]
        received = f["share_requests_received"] + f["open_applications_received"]
        answered = (f["share_requests_approved"] + f["share_requests_refused"]
                    + f["open_applications_approved"] + f["open_applications_refused"])
        on_time = f["share_requests_on_time"] + f["open_applications_on_time"]
        x = left + i * step
        h = received / top * (bottom - 20)
        columns.append({"x": round(x + step * 0.15, 1), "w": round(step * 0.7, 1),
                        "y": round(bottom - h, 1), "h": round(h, 1), "received": received,
                        "month": month["month"], "label": month["month"][5:],
                        "rate": f"{on_time / answered:.0%}" if answered else "–",
                        "href": tk.h.url_for("govshare.request_index", tab=pages.ALL)})
        if answered:
            points.append((round(x + step / 2, 1),
                           round(bottom - on_time / answered * (bottom - 20), 1)))
    return {"columns": columns, "points": points,
            "line": " ".join(f"{px},{py}" for px, py in points), "height": height, "width": WIDTH,
            "bottom": bottom, "left": left, "top": top, "department": department}
