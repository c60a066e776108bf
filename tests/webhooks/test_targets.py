"""Which webhook URLs Loadbay will call: public http(s) hosts, unless private ones are allowed."""

from __future__ import annotations

import pytest

from loadbay.webhooks.targets import TargetRefused, check_target


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:9000/hook", "resolves to 127.0.0.1, a private, loopback or reserved address"),
        ("http://localhost/hook", "a private, loopback or reserved address"),
        ("https://10.1.2.3/hook", "resolves to 10.1.2.3"),
        ("https://169.254.169.254/latest/meta-data", "resolves to 169.254.169.254"),
        ("http://[::1]:8080/", "resolves to ::1"),
        ("http://[::ffff:192.168.0.1]/", "resolves to 192.168.0.1"),
        ("ftp://example.org/hook", "must be an absolute http:// or https:// URL"),
        ("/hooks/relative", "must be an absolute http:// or https:// URL"),
        ("https://user:secret@example.org/hook", "must not hold a user name or password"),
        ("https://example.org:99999/hook", "check its brackets and its port, 1 to 65535"),
        ("http://[::1/hook", "check its brackets and its port, 1 to 65535"),
        # IPv6 forms that carry a private IPv4 address: NAT64, 6to4, IPv4-compatible.
        ("http://[64:ff9b::7f00:1]/", "resolves to 127.0.0.1"),
        ("http://[2002:a00:1::]/", "resolves to 10.0.0.1"),
        ("http://[::a00:1]/", "resolves to 10.0.0.1"),
        ("https://no-such-host.invalid/hook", "does not resolve"),
        ("https://example.org/" + "x" * 2048, "longer than 2048 characters"),
    ],
)
def test_refused_targets_say_why(url: str, expected: str) -> None:
    with pytest.raises(TargetRefused) as refused:
        check_target(url, allow_private=False)
    assert expected in str(refused.value)


def test_private_targets_are_allowed_only_when_configured() -> None:
    check_target("http://127.0.0.1:9000/hook", allow_private=True)
    # Allowing private hosts does not allow a URL that is wrong in itself.
    with pytest.raises(TargetRefused):
        check_target("ftp://127.0.0.1/hook", allow_private=True)


def test_a_public_address_is_accepted() -> None:
    check_target("https://93.184.215.14/hooks/loadbay", allow_private=False)
