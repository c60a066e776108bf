"""The file's shape: work a header can force is bounded (columns, metadata keys), said at line 1."""

from tests.conftest import ApiUser, counts, run_jobs

GROUPS = "group_name,group_description,group_organizationId"


def _failed_at_line_1(rostering: ApiUser, header: str) -> tuple[list[object], str]:
    ref = str(rostering.upload(f"{header}\ng1,First,root\n", filename="groups.csv")["referenceId"])
    run_jobs(rostering.runtime)
    status = rostering.status(ref)
    assert status["status"] == "failed"
    assert status["counts"] == counts()
    detail = rostering.http.get(f"/api/v1/imports/{ref}", headers=rostering.headers).json()
    (message,) = detail["messagePage"]["items"]
    assert (message["line"], message["severity"]) == (1, "error")
    return status["messages"], message["code"]  # type: ignore[return-value]


def test_a_header_with_more_columns_than_allowed_fails_at_line_1(rostering: ApiUser) -> None:
    header = GROUPS + "".join(f",extra_{i}" for i in range(998))  # 1,001 columns
    messages, code = _failed_at_line_1(rostering, header)
    assert messages == ["Line 1: the header has 1001 columns; at most 1000 are allowed."]
    assert code == "too_many_columns"


def test_more_metadata_columns_than_allowed_fail_at_line_1(rostering: ApiUser) -> None:
    header = GROUPS + "".join(f",group_metadata_k{i}" for i in range(101))
    messages, code = _failed_at_line_1(rostering, header)
    assert messages == ["Line 1: the header has 101 group_metadata_<KEY> columns; at most 100 are allowed."]
    assert code == "too_many_metadata"


def test_metadata_columns_up_to_the_limit_are_imported(rostering: ApiUser) -> None:
    header = GROUPS + "".join(f",group_metadata_k{i}" for i in range(100))
    status = rostering.import_file(f"{header}\ng1,First,root{',v' * 100}\n", filename="groups.csv")
    assert (status["status"], status["counts"]["created"]) == ("processed", 1)  # type: ignore[index]
