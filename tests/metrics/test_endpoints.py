"""GET /metrics, parsed with prometheus-client's own parser (issue 16)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ApiUser, run_jobs

GROUPS = "group_name,group_organizationId\ng1,root\ng2,root\ng3,nowhere\n"


def _scrape(api: ApiUser, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = api.http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_an_import_shows_in_the_metrics_with_its_rows_and_requests(rostering: ApiUser) -> None:
    # Counters are the process's: compare before and after.
    before = _scrape(rostering)
    reference = str(rostering.upload(GROUPS, filename="groups.csv")["referenceId"])
    waiting = _scrape(rostering)
    assert _value(waiting, "loadbay_import_queue_depth") == 1
    assert _value(waiting, "loadbay_import_oldest_pending_age_seconds") >= 0
    run_jobs(rostering.runtime)
    rostering.status(reference)
    after = _scrape(rostering)

    def grew(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert grew("loadbay_imports_finished_total", import_type="groups", status="processed") == 1
    assert grew("loadbay_import_rows_total", import_type="groups", outcome="created") == 2
    assert grew("loadbay_import_rows_total", import_type="groups", outcome="failed") == 1
    assert grew("loadbay_import_run_seconds_count", import_type="groups") == 1
    assert grew("loadbay_upload_bytes_total", api="rostering") == len(GROUPS)
    # Requests by route template, not by reference id.
    assert grew("loadbay_http_requests_total", route="/api/v1/upload", method="POST", status="200") == 1
    assert (
        grew("loadbay_http_requests_total", route="/api/v1/status/{reference_id}", method="GET", status="200")
        == 1
    )
    assert not any(reference in str(labels) for _name, labels in after)
    assert _value(after, "loadbay_import_queue_depth") == 0
    assert _value(after, "loadbay_import_oldest_pending_age_seconds") == 0


def test_a_metrics_token_guards_the_page(rostering: ApiUser) -> None:
    rostering.runtime.settings.metrics_token = "scrape-me"
    refused = rostering.http.get("/metrics")
    assert refused.status_code == 401
    assert "LOADBAY_METRICS_TOKEN" in refused.json()["message"]
    assert rostering.http.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert _scrape(rostering, Authorization="Bearer scrape-me")


def test_a_cancel_counts_once_it_has_committed(rostering: ApiUser) -> None:
    reference = str(rostering.upload(GROUPS, filename="groups.csv")["referenceId"])
    before = _scrape(rostering)
    answer = rostering.http.post(f"/api/v1/imports/{reference}/cancel", headers=rostering.headers)
    assert answer.status_code == 200
    after = _scrape(rostering)
    name, labels = "loadbay_imports_finished_total", {"import_type": "unknown", "status": "cancelled"}
    assert _value(after, name, **labels) - _value(before, name, **labels) == 1
