"""One module per resource; each exposes a Litestar Router or handlers listed in ROUTES."""
