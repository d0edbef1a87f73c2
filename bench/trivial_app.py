"""The physical-limit reference of bench/api.py: the smallest FastAPI answer, served the same way
as the backend (uvicorn workers with uvloop and httptools, no access log)."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/ok")
async def ok() -> dict[str, bool]:
    return {"ok": True}
