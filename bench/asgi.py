"""Benchmark: ASGI ``deliver()`` against a bare call of the same FastAPI app.

Target (issue 12): ``deliver()`` of an ASGI app in-process (sign, POST the exact
bytes with the platform's headers, read the answer like Gson, the outcome and
the findings) costs at most 1.3x a bare ``starlette.testclient.TestClient.post``
of the same signed bytes to the same app, measured side by side in this run.
Needs FastAPI (the ``test`` extra has it).  Exits 1 when the target is missed.

    python bench/asgi.py [--rounds R]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import sys
import time
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from starlette.testclient import TestClient

from harness import PayloadFactory, deliver, generate_secret, load_target, sign
from harness.platform import platform_headers


def make_app(secret: str) -> FastAPI:
    app = FastAPI()

    @app.post("/")
    async def hook(request: Request) -> dict[str, Any]:
        body = await request.body()
        mine = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mine, request.headers.get("x-hub-signature", "")):
            raise HTTPException(401, "bad signature")
        data = await request.json()
        return {"text": f"ok {data.get('intentName')}"}

    return app


def best(run: Any, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    secret = generate_secret()
    app = make_app(secret)
    factory = PayloadFactory(seed=3)
    bodies = [factory.build(shape="A").body for _ in range(200)]
    prepared = [(body, platform_headers(body, sign(body, secret))) for body in bodies]
    target = load_target(app)

    with TestClient(app, base_url="https://localhost") as client:

        def bare() -> None:
            for body, headers in prepared:
                client.post("/", content=body, headers=headers).read()

        def ours() -> None:
            for body in bodies:
                deliver(target, body, secret=secret)

        bare()
        ours()
        bare_time = best(bare, args.rounds)
        ours_time = best(ours, args.rounds)
    target.close()
    ratio = ours_time / bare_time
    per = 1e6 / len(bodies)
    print(f"TestClient.post (signed bytes):       {bare_time * per:8.1f} us per call")
    print(f"deliver() + read + outcome + check:   {ours_time * per:8.1f} us per call")
    print(f"ratio:                                {ratio:8.2f}x  (target <= 1.3x)")
    ok = ratio <= 1.3
    print("target:", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
