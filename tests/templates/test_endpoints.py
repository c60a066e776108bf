import pytest
from fastapi.testclient import TestClient

from loadbay.importing.registry import all_types


@pytest.mark.parametrize(
    ("name", "header"),
    [
        (
            "organizations",
            "hierarchy_organizationId,hierarchy_organizationName,hierarchy_organizationDescription,hierarchy_parentOrganizationId",
        ),
        ("link-existing-user-to-groups", "user_username,group_name,group_role"),
    ],
)
def test_template_is_the_header_row(app_client: TestClient, name: str, header: str) -> None:
    response = app_client.get(f"/api/v1/templates/{name}.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == f'attachment; filename="{name}.csv"'
    assert response.text == header + "\r\n"


def test_every_registered_type_has_a_template_that_it_detects(app_client: TestClient) -> None:
    from loadbay.importing.registry import detect

    for import_type in all_types(scope="rostering"):
        header = app_client.get(f"/api/v1/templates/{import_type.name}.csv").text.strip().split(",")
        assert detect(header, scope="rostering") is import_type


def test_unknown_template_is_404_listing_the_known_ones(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/templates/pupils.csv")
    assert response.status_code == 404
    assert "users" in response.json()["message"]
