"""Form 2: beside the sidecar, without the proxy.

The app reads its settings through the sidecar's read API with httpx, with the user as the unit,
and `OutcomeReporter` reports each request's outcome in batches, with the same unit:

    bin/crossfade serve --settings examples/fastapi/settings --state /tmp/cf-state-direct  # read API on 127.0.0.1:7070
    CROSSFADE_URL=http://127.0.0.1:7070 \
        /usr/bin/python3 -m uvicorn direct_app:app --app-dir examples/fastapi --port 8000
"""
import os

import httpx
from fastapi import FastAPI, Request

from crossfade_outcomes import OutcomeReporter
from shop import checkout_page

CROSSFADE_URL = os.environ.get("CROSSFADE_URL", "http://127.0.0.1:7070")

app = FastAPI()
app.add_middleware(OutcomeReporter, sidecar_url=CROSSFADE_URL, keys=["checkout.price_format"])
crossfade = httpx.AsyncClient(base_url=CROSSFADE_URL, timeout=0.5)


async def settings_for(unit: str, prefix: str) -> dict:
    """Every setting under `prefix` as `unit` reads it, from one snapshot; {} if the sidecar is away."""
    try:
        r = await crossfade.get("/v1/settings", params={"prefix": prefix, "unit": unit})
        r.raise_for_status()
    except httpx.HTTPError:
        return {}
    return {key: s["value"] for key, s in r.json()["settings"].items()}


@app.get("/checkout")
async def checkout(request: Request):
    user = request.headers.get("x-user-id", "anonymous")
    return checkout_page(user, await settings_for(user, "checkout."))


@app.get("/health")
async def health():
    return {"status": "ok"}
