"""gateway: REST API, live events WebSocket, persistence of final segments, the web app."""
