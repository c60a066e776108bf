import time

from fastapi.testclient import TestClient

from loadbay.app import create_app
from loadbay.config import Settings
from loadbay.migrate import upgrade
from tests.conftest import ApiUser


def test_in_process_workers_import_without_being_asked(settings: Settings) -> None:
    app = create_app(settings, workers=2)
    upgrade(app.state.runtime.engine)
    with TestClient(app) as http:
        user = ApiUser.create(http, app.state.runtime)
        reference_ids = [
            str(
                user.upload(f"user_username,user_password,user_organizationId\nu{i},Wonder#land1,root\n")[
                    "referenceId"
                ]
            )
            for i in range(4)
        ]
        deadline = time.monotonic() + 30
        statuses: list[str] = []
        while time.monotonic() < deadline:
            statuses = [str(user.status(ref)["status"]) for ref in reference_ids]
            if all(status == "processed" for status in statuses):
                break
            time.sleep(0.05)
        assert statuses == ["processed"] * 4
