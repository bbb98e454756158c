"""``xcat serve``: the store over HTTP — an IVOA TAP 1.1 service and a dashboard (an
ASGI app on uvicorn). Sits between the CLI and the API: it uses :class:`xcat.api.Store`.
"""
