"""Form 1: behind the Crossfade proxy.

Run the sidecar in front of the app,

    bin/crossfade serve --settings examples/fastapi/settings --state /tmp/cf-state \
        --proxy-listen 127.0.0.1:8080 --upstream http://127.0.0.1:8000 --inject 'checkout.*'

and the app on the port it forwards to,

    /usr/bin/python3 -m uvicorn proxied_app:app --app-dir examples/fastapi --port 8000

Clients call the proxy (port 8080) with their user in `X-User-Id`. The proxy adds
`X-Crossfade-Settings`, the user's settings as JSON, and turns every response into an outcome for
the guard (a 5xx is an error). Reading that header is the only Crossfade code the app has.
"""
import json

from fastapi import FastAPI, Request

from shop import checkout_page

app = FastAPI()


@app.get("/checkout")
async def checkout(request: Request):
    settings = json.loads(request.headers.get("x-crossfade-settings", "{}"))
    return checkout_page(request.headers.get("x-user-id", "anonymous"), settings)


@app.get("/health")
async def health():
    return {"status": "ok"}
