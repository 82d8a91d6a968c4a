"""The schema has no subscriptions, so /graphql takes no websocket: one would keep its
handshake's transaction and principal (and skip the request budget) for as long as it lived."""

from __future__ import annotations

import pytest
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient

from district_ppm.app import create_app


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
def test_a_websocket_to_graphql_is_refused(settings, protocol):
    with (
        TestClient(create_app(settings)) as client,
        pytest.raises(WebSocketDisconnect),
        client.websocket_connect("/graphql", subprotocols=[protocol]) as socket,
    ):
        socket.send_json({"type": "connection_init"})
        socket.receive_json()
