"""/metrics labels requests by route template, never by raw path (issue 7, defect 3).

Before grouping, 10,000 requests to /api/v1/imports/x<n> added 10,000 label sets each to every
request metric and grew /metrics to 72 MB: anyone could inflate every scrape without a token.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

PATH_LABEL = re.compile(r'path="([^"]*)"')


async def test_distinct_paths_leave_a_bounded_set_of_path_labels(app: Any, client: Any) -> None:
    marker = uuid.uuid4().hex[:8]
    for n in range(60):
        # an unknown import kind (the handler answers 401 without a token) ...
        await client.post(f"/api/v1/imports/{marker}-{n}", content=b"x")
        # ... and a path no route knows (answered 404 before any handler)
        await client.get(f"/{marker}/{n}")

    scrape = await client.get("/metrics")

    assert scrape.status_code == 200
    labels = set(PATH_LABEL.findall(scrape.text))
    assert "/api/v1/imports/{kind}" in labels
    assert not [label for label in labels if marker in label]
    templates = {route.path_format for route in app.routes}
    assert labels <= templates
