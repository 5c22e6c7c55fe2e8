"""Form 2: beside the sidecar, without the proxy, with the `crossfade` package (clients/python).

The app reads its settings in-process from the sidecar's snapshot, with the user as the unit, and
`CrossfadeMiddleware` reports each request's outcome (an error on a 5xx or an exception) for every
running migration, with the same unit:

    pip install --no-build-isolation --no-index ./clients/python      # or PYTHONPATH=clients/python/src
    bin/crossfade serve --settings examples/fastapi/settings --state /tmp/cf-state-direct  # read API on 127.0.0.1:7070
    CROSSFADE_URL=http://127.0.0.1:7070 \
        /usr/bin/python3 -m uvicorn direct_app:app --app-dir examples/fastapi --port 8000
"""
import os

from fastapi import FastAPI, Request

from crossfade import AsyncClient
from crossfade.asgi import CrossfadeMiddleware
from shop import checkout_page

settings = AsyncClient(os.environ.get("CROSSFADE_URL", "http://127.0.0.1:7070"))

app = FastAPI()
app.add_middleware(CrossfadeMiddleware, client=settings, unit_header="x-user-id")

CHECKOUT_KEYS = ("checkout.price_format", "checkout.banner")


@app.get("/checkout")
async def checkout(request: Request):
    view = request.state.crossfade  # the settings as this request's user reads them; no I/O
    known = {key: view.get_json(key) for key in CHECKOUT_KEYS}
    return checkout_page(request.state.unit or "anonymous", {k: v for k, v in known.items() if v is not None})


@app.get("/health")
async def health():
    return {"status": "ok"}
