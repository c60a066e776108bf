"""Many uploads at once against a real ``loadbay serve``: none refused, none lost, none retried.

The operations issue behind it: 20 concurrent uploads on the embedded default answered
``500 TimeoutError`` after 31 s, because each upload held two pooled connections and the
pool had fifteen.
"""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from loadbay.runtime import Runtime
from tests.conftest import make_settings, new_client
from tests.e2e.server import LoadbayServer

pytestmark = pytest.mark.e2e

TENANTS = 10
UPLOADS = 200
HEADER = "group_name,group_description,group_organizationId\n"
STALLED_SECONDS = 120


def _groups_csv(upload: int) -> bytes:
    # Names unique per upload: every import creates its own groups, none waits on another's.
    rows = "".join(f"g{upload}-{row},Group {row} of upload {upload},root\n" for row in range(3))
    return (HEADER + rows).encode()


def test_200_concurrent_uploads_from_10_tenants_are_all_imported_once(
    server_factory: type[LoadbayServer],
) -> None:
    server = server_factory().start()
    # In this process, on the server's database: ten `loadbay clients create` processes would
    # cost more than the 200 uploads.
    runtime = Runtime.create(make_settings(server.data_dir, server.database_url))
    clients = [new_client(runtime, tenant=f"tenant-{t}") for t in range(TENANTS)]
    runtime.close()
    # Every answer the server gives, so that any 5xx anywhere fails the test, not just an upload's.
    answers: list[httpx.Response] = []

    def call(http: httpx.Client, method: str, url: str, **kwargs: object) -> httpx.Response:
        response = http.request(method, url, **kwargs)  # type: ignore[arg-type]
        answers.append(response)
        return response

    headers = []
    # Tokens on connections of their own: an upload sent on a connection that sat idle while 200
    # threads started could meet the server closing it at the end of its keep-alive, and no
    # client resends a POST (uvicorn's 5 s did that once; LOADBAY_KEEP_ALIVE_SECONDS is now 75).
    with httpx.Client(base_url=server.url, timeout=60) as http:
        for client in clients:
            data = {
                "grant_type": "client_credentials",
                "client_id": client.client_id,
                "client_secret": client.client_secret,
            }
            token = call(http, "POST", "/api/v1/oauth2/tokens", data=data).json()["access_token"]
            headers.append({"Authorization": f"Bearer {token}"})
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=UPLOADS)
    with httpx.Client(base_url=server.url, timeout=60, limits=limits) as http:
        start = threading.Barrier(UPLOADS)

        def upload(index: int) -> tuple[int, str]:
            tenant = index % TENANTS
            files = {"file": (f"groups-{index}.csv", _groups_csv(index), "text/csv")}
            start.wait()
            response = call(http, "POST", "/api/v1/upload", headers=headers[tenant], files=files)
            assert response.status_code == 200, response.text
            return tenant, response.json()["result"]["referenceId"]

        with ThreadPoolExecutor(UPLOADS) as pool:
            accepted = list(pool.map(upload, range(UPLOADS)))

    # Speed is the benchmark's business: on a loaded machine the 200 imports may take minutes. The
    # test fails when they stall, when no import of any tenant finishes for this long.
    last_finished = [time.monotonic()]

    def finish(tenant: int) -> list[dict[str, object]]:
        # One poller per tenant, all at once while the workers import. Imports are claimed
        # oldest first, so each poller waits on its oldest pending one only.
        pending = [ref for owner, ref in accepted if owner == tenant]
        done: list[dict[str, object]] = []
        with httpx.Client(base_url=server.url, timeout=60) as http:
            while pending and time.monotonic() - last_finished[0] < STALLED_SECONDS:
                response = call(http, "GET", f"/api/v1/status/{pending[0]}", headers=headers[tenant])
                assert response.status_code == 200, response.text
                result = response.json()["result"]
                if result["status"] == "pending":
                    time.sleep(0.1)
                else:
                    done.append(result)
                    pending.pop(0)
                    last_finished[0] = time.monotonic()
        assert not pending, (
            f"tenant {tenant}: {len(pending)} import(s) still pending, and no import of any tenant "
            f"has finished for {STALLED_SECONDS} s; the server's log ends:\n"
            + "\n".join(server.log_path.read_text(errors="replace").splitlines()[-40:])
        )
        return done

    with ThreadPoolExecutor(TENANTS) as pool:
        finished = [result for results in pool.map(finish, range(TENANTS)) for result in results]

    assert len(accepted) == UPLOADS
    assert Counter(r.status_code for r in answers if r.status_code >= 500) == Counter()
    assert Counter(str(result["status"]) for result in finished) == Counter({"processed": UPLOADS})
    # No attempt lost to a busy database: each import ran once.
    assert Counter(result["attempts"] for result in finished) == Counter({1: UPLOADS})


def test_concurrent_uploads_with_one_idempotency_key_make_one_import(
    server_factory: type[LoadbayServer],
) -> None:
    server = server_factory().start()
    runtime = Runtime.create(make_settings(server.data_dir, server.database_url))
    client = new_client(runtime, tenant="tenant-retry")
    runtime.close()
    data = {"grant_type": "client_credentials", "client_id": client.client_id}
    data["client_secret"] = client.client_secret
    # A connection of its own, as above: the uploads start on fresh ones.
    token = httpx.post(f"{server.url}/api/v1/oauth2/tokens", data=data).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "nightly-groups-2026-12-03"}
    with httpx.Client(base_url=server.url, timeout=60) as http:
        start = threading.Barrier(10)

        def upload(_: int) -> httpx.Response:
            start.wait()
            return http.post("/api/v1/upload", headers=headers, files={"file": ("g.csv", _groups_csv(0))})

        with ThreadPoolExecutor(10) as pool:
            answers = list(pool.map(upload, range(10)))
        assert [a.status_code for a in answers] == [200] * 10
        assert len({a.json()["result"]["referenceId"] for a in answers}) == 1
        assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == [""] + ["true"] * 9
        listed = http.get("/api/v1/imports", headers=headers).json()["items"]
        assert len(listed) == 1
