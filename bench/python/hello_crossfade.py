"""The same hello world with CrossfadeMiddleware: the unit from a header, the request's settings view,
one outcome per request on each running migration, batched to the sidecar at CROSSFADE_URL."""
import os

from fastapi import FastAPI

from crossfade import AsyncClient
from crossfade.asgi import CrossfadeMiddleware

settings = AsyncClient(os.environ["CROSSFADE_URL"])
app = FastAPI()
app.add_middleware(CrossfadeMiddleware, client=settings, unit_header="x-user-id")


@app.get("/hello")
async def hello():
    return {"hello": "world"}


@app.get("/outcomes")
async def outcomes():
    return settings.outcomes()._asdict() | {"version": settings.version}
