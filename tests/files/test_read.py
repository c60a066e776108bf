"""Reading an account's documents back: list (paginated, by type), metadata, signed download."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlencode, urlsplit

from loadbay.db import transaction
from loadbay.files.accounts import grant_account
from tests.conftest import new_client
from tests.files.conftest import CSV_BYTES, PNG_BYTES, FilesUser, new_account

ACCOUNT_NOT_FOUND = (
    "Account not found, or this client is not authorized for it: check the accountId "
    "and ask your administrator for a grant."
)


def _ids(answer: dict[str, object]) -> list[str]:
    return [str(f["id"]) for f in answer["files"]]  # type: ignore[attr-defined]


# -- listing --------------------------------------------------------------------------


def test_list_is_newest_first_and_pages_cover_every_file_once(files_user: FilesUser) -> None:
    uploaded = [str(files_user.upload(f"n,i\nx,{i}\n".encode())["id"]) for i in range(5)]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = files_user.get(f"/accounts/{files_user.account_id}/files", **params)
        assert response.status_code == 200, response.text
        answer = response.json()
        seen += _ids(answer)
        pages += 1
        cursor = answer["nextCursor"]
        if cursor is None:
            break
    assert seen == list(reversed(uploaded))
    assert pages == 3


def test_a_page_does_not_shift_when_files_arrive_between_requests(files_user: FilesUser) -> None:
    first, second, third = (str(files_user.upload()["id"]) for _ in range(3))
    page = files_user.get(f"/accounts/{files_user.account_id}/files", limit=2).json()
    assert _ids(page) == [third, second]
    files_user.upload()
    rest = files_user.get(f"/accounts/{files_user.account_id}/files", limit=2, cursor=page["nextCursor"])
    assert _ids(rest.json()) == [first]
    assert rest.json()["nextCursor"] is None


def test_list_items_describe_each_file(files_user: FilesUser) -> None:
    answer = files_user.upload(documentType="Invoice")
    listed = files_user.get(f"/accounts/{files_user.account_id}/files").json()
    assert listed == {"files": [{k: v for k, v in answer.items() if k != "warnings"}], "nextCursor": None}


def test_list_filters_by_document_type(files_user: FilesUser) -> None:
    invoice = files_user.upload(documentType="Invoice")["id"]
    csv_file = files_user.upload(documentType="CSV")["id"]
    files_user.upload(documentType="Receipt")
    files_user.upload()
    for document_type, expected in (("Invoice", [invoice]), ("CSV", [csv_file]), ("Document", [])):
        answer = files_user.get(f"/accounts/{files_user.account_id}/files", documentType=document_type)
        assert _ids(answer.json()) == expected


def test_bad_list_parameters_are_400(files_user: FilesUser) -> None:
    bad_cursor = "The cursor is not one this API handed out: pass nextCursor as it came."
    cases: list[tuple[dict[str, str | int], str]] = [
        ({"documentType": "invoice"}, "documentType must be one of Invoice, CSV, Document (case-sensitive)."),
        ({"cursor": "not-a-cursor"}, bad_cursor),
        ({"cursor": "WzEsMl0"}, bad_cursor),
        ({"limit": 0}, "Invalid request: query.limit: Input should be greater than or equal to 1"),
        ({"limit": 201}, "Invalid request: query.limit: Input should be less than or equal to 200"),
    ]
    for params, message in cases:
        response = files_user.get(f"/accounts/{files_user.account_id}/files", **params)
        assert (response.status_code, response.json()) == (400, {"message": message}), params


def test_list_shows_only_that_accounts_files(files_user: FilesUser) -> None:
    other = new_account(
        files_user.runtime, tenant="district-a", name="Other", grant_to=(files_user.client_id,)
    )
    mine = files_user.upload()["id"]
    theirs = files_user.upload(account_id=other)["id"]
    assert _ids(files_user.get(f"/accounts/{files_user.account_id}/files").json()) == [mine]
    assert _ids(files_user.get(f"/accounts/{other}/files").json()) == [theirs]


# -- tenancy and grants on every read -------------------------------------------------


def test_reads_of_another_tenants_or_an_ungranted_account_are_the_same_404(files_user: FilesUser) -> None:
    file_id = files_user.upload()["id"]
    stranger = FilesUser.create(files_user.http, files_user.runtime, tenant="district-b")
    ungranted = FilesUser.create(files_user.http, files_user.runtime, account="Other")
    for user in (stranger, ungranted):
        for path in (
            f"/accounts/{files_user.account_id}/files",
            f"/accounts/{files_user.account_id}/files/{file_id}",
            f"/accounts/{files_user.account_id}/files/{file_id}/download",
        ):
            response = user.get(path)
            assert (response.status_code, response.json()) == (404, {"message": ACCOUNT_NOT_FOUND}), path


def test_a_file_read_through_another_granted_account_is_404(files_user: FilesUser) -> None:
    other = new_account(
        files_user.runtime, tenant="district-a", name="Other", grant_to=(files_user.client_id,)
    )
    file_id = files_user.upload()["id"]
    for path in (f"/accounts/{other}/files/{file_id}", f"/accounts/{other}/files/{file_id}/download"):
        response = files_user.get(path)
        assert (response.status_code, response.json()) == (
            404,
            {"message": "File not found for this account."},
        )


def test_reads_with_another_client_id_in_the_path_are_403(files_user: FilesUser) -> None:
    other = new_client(files_user.runtime, tenant="district-a", scopes=("files",))
    with transaction(files_user.runtime.write_sessions) as session:
        grant_account(session, client_id=other.client_id, account_id=files_user.account_id)
    response = files_user.http.get(
        f"/files/v1/{other.client_id}/accounts/{files_user.account_id}/files",
        headers={"Authorization": files_user.token},
    )
    assert response.status_code == 403
    assert "clientId in the path" in response.json()["message"]


def test_reads_need_a_token(files_user: FilesUser) -> None:
    response = files_user.http.get(f"{files_user.base}/accounts/{files_user.account_id}/files")
    assert (response.status_code, response.text) == (401, "Access Denied")


# -- one file, and its download -------------------------------------------------------


def test_get_one_files_metadata(files_user: FilesUser) -> None:
    answer = files_user.upload(PNG_BYTES, filename="scan.png", documentType="Document")
    response = files_user.get(f"/accounts/{files_user.account_id}/files/{answer['id']}")
    assert response.status_code == 200
    assert response.json() == {k: v for k, v in answer.items() if k != "warnings"}
    assert response.json()["contentType"] == "image/png"


def test_unknown_file_is_404(files_user: FilesUser) -> None:
    response = files_user.get(f"/accounts/{files_user.account_id}/files/00000000-0000-0000-0000-000000000000")
    assert (response.status_code, response.json()) == (404, {"message": "File not found for this account."})


def _download(files_user: FilesUser, file_id: object) -> tuple[str, str]:
    """(the signed URL's path and query, as the test client requests it; the full URL)."""
    response = files_user.get(f"/accounts/{files_user.account_id}/files/{file_id}/download")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["expiresIn"] == 900
    url = answer["signedUrl"]
    assert url.startswith("http://testserver/signed/files/")
    return url.removeprefix("http://testserver"), url


def test_download_serves_the_bytes_as_an_attachment_with_the_detected_type(files_user: FilesUser) -> None:
    answer = files_user.upload(PNG_BYTES, filename="Relevé n°1.png")
    path, _url = _download(files_user, answer["id"])
    response = files_user.http.get(path)
    assert response.status_code == 200
    assert response.content == PNG_BYTES
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"Relev_ n_1.png\"; filename*=UTF-8''" + quote("Relevé n°1.png", safe="")
    )


def test_download_of_text_keeps_its_charset_and_never_html(files_user: FilesUser) -> None:
    csv_answer = files_user.upload(CSV_BYTES, filename="a.csv")
    response = files_user.http.get(_download(files_user, csv_answer["id"])[0])
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content == CSV_BYTES
    html = files_user.upload(b"<html><body onload=alert(1)></body></html>", filename="x.html")
    response = files_user.http.get(_download(files_user, html["id"])[0])
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="x.html"')


def test_a_file_without_a_name_downloads_under_its_id(files_user: FilesUser) -> None:
    answer = files_user.upload(filename="")
    assert answer["fileName"] is None
    response = files_user.http.get(_download(files_user, answer["id"])[0])
    assert response.headers["content-disposition"].startswith(f'attachment; filename="{answer["id"]}"')


def test_download_links_whose_name_or_type_was_changed_are_refused(files_user: FilesUser) -> None:
    answer = files_user.upload(PNG_BYTES, filename="scan.png")
    path, _url = _download(files_user, answer["id"])
    split = urlsplit(path)
    signed = {name: values[0] for name, values in parse_qs(split.query).items()}
    changes: list[tuple[str, str | None]] = [
        ("content_type", "text/html"),
        ("filename", "evil.html"),
        ("filename", None),
        ("content_type", None),
    ]
    for name, value in changes:
        query = dict(signed)
        if value is None:
            query.pop(name)
        else:
            query[name] = value
        response = files_user.http.get(f"{split.path}?{urlencode(query)}")
        assert (response.status_code, response.json()) == (
            403,
            {"message": "The link's signature does not match."},
        ), (name, value)
    assert files_user.http.get(path).status_code == 200
