"""Each payment import type imports and rejects as documented, through the batches API."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from loadbay.models import ImportBatch, ImportJob, PaymentInfo, PaymentTransaction, TransferTransaction
from tests.batches.conftest import Merchant

TX_HEADER = "TransactionId,AccountId,Type,Amount,Currency,Status,TransactionDate,Reference,Description\n"


def _by_key(entries: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {e["key"] or f"line {e['line']}": (e["status"], e["error"]) for e in entries["entries"]}


def test_transactions_are_stored_exactly_and_bad_rows_fail_alone(merchant: Merchant) -> None:
    content = TX_HEADER + (
        "t1,acc-1,Sale,12.5,usd,Completed,2026-11-24T10:00:00+01:00,order-1,First\n"
        "t2,acc-1,refund,0.10,EUR,Pending,2026-11-24T09:30Z,,\n"
        "t3,acc-1,Gift,1.00,USD,Completed,2026-11-24T10:00:00Z,,\n"
        "t4,acc-1,Sale,1.005,USD,Completed,2026-11-24T10:00:00Z,,\n"
        "t5,acc-1,Sale,1.00,XXX,Completed,2026-11-24T10:00:00Z,,\n"
        "t6,acc-1,Sale,1.00,USD,Completed,2026-11-24T10:00:00,,\n"
        't7,acc-1,Sale,"1,000.00",USD,Completed,2026-11-24T10:00:00Z,,\n'
        "t1,acc-1,Sale,12.50,USD,Completed,2026-11-24T10:00:00Z,,\n"
        ",acc-1,Sale,1,USD,Completed,2026-11-24T10:00:00Z,,\n"
        "t8,acc-1,Sale,1,JPY,Completed,2026-02-30T10:00:00Z,,\n"
    )
    batch_id, entries = merchant.import_file("Transactions", content)
    assert entries["state"] == "Completed"
    assert entries["processingComplete"] is True
    assert entries["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 8}
    rows = _by_key(entries)
    assert entries["entries"][0] == {"line": 2, "status": "Created", "key": "t1", "error": None}
    assert rows["t2"] == ("Created", None)
    assert "Type: 'Gift' is not one of Sale, Refund" in str(rows["t3"][1])
    assert "Amount: 1.005 has more decimal places than USD allows (2)" in str(rows["t4"][1])
    assert "Currency: is not an ISO 4217 currency code" in str(rows["t5"][1])
    assert "TransactionDate: must be an ISO 8601 date and time with a UTC offset" in str(rows["t6"][1])
    assert "without thousands separators" in str(rows["t7"][1])
    assert "TransactionId: is required" in str(rows["line 10"][1])
    assert "TransactionDate: must be an ISO 8601" in str(rows["t8"][1])
    assert [e["line"] for e in entries["entries"]] == list(range(2, 12))
    duplicate = entries["entries"][7]
    assert duplicate["status"] == "Failed"
    assert "'t1' already appears on line 2" in duplicate["error"]

    with merchant.runtime.sessions() as session:
        stored = {t.transaction_id: t for t in session.scalars(select(PaymentTransaction))}
        batch = session.get(ImportBatch, batch_id)
        assert batch is not None
    assert set(stored) == {"t1", "t2"}
    first = stored["t1"]
    assert (first.amount, first.amount_minor, first.currency, first.type) == ("12.50", 1250, "USD", "Sale")
    assert first.occurred_at.isoformat() == "2026-11-24T09:00:00"  # UTC
    assert (first.reference, first.description) == ("order-1", "First")
    assert (first.company_id, first.project_id) == (merchant.company_id, merchant.project_id)
    second = stored["t2"]
    assert (second.amount, second.amount_minor, second.type, second.reference) == ("0.10", 10, "Refund", None)


def test_transactions_update_rules(merchant: Merchant) -> None:
    merchant.import_file(
        "Transactions", TX_HEADER + "t1,acc-1,Sale,12.50,USD,Pending,2026-11-24T10:00:00Z,order-1,Kept\n"
    )
    header = "TransactionId,AccountId,Type,Amount,Currency,Status,TransactionDate\n"
    _, entries = merchant.import_file(
        "Transactions", header + "t1,acc-1,Sale,12.5,USD,Pending,2026-11-24T11:00:00+01:00\n"
    )
    assert _by_key(entries)["t1"] == ("Unchanged", None)
    _, entries = merchant.import_file(
        "Transactions", header + "t1,acc-1,Sale,12.50,USD,Completed,2026-11-24T10:00:00Z\n"
    )
    assert _by_key(entries)["t1"] == ("Updated", None)
    _, entries = merchant.import_file(
        "Transactions", header + "t1,acc-2,Sale,13.00,USD,Completed,2026-11-24T10:00:00Z\n"
    )
    status, error = _by_key(entries)["t1"]
    assert status == "Failed"
    assert "AccountId: cannot change once imported (stored 'acc-1', this file 'acc-2')" in str(error)
    assert "Amount: cannot change once imported (stored '12.50', this file '13.00')" in str(error)
    with merchant.runtime.sessions() as session:
        record = session.scalars(select(PaymentTransaction)).one()
    # Columns left out of the later files kept their values; the failed row changed nothing.
    assert (record.status, record.amount, record.account_id) == ("Completed", "12.50", "acc-1")
    assert (record.reference, record.description) == ("order-1", "Kept")


def test_transactions_of_another_company_are_kept_apart(merchant: Merchant, app_client: TestClient) -> None:
    other = Merchant.create(app_client, merchant.runtime, tenant="shop-b")
    row = "t1,acc-1,Sale,1.00,USD,Completed,2026-11-24T10:00:00Z,,\n"
    merchant.import_file("Transactions", TX_HEADER + row)
    _, entries = other.import_file("Transactions", TX_HEADER + row.replace("1.00", "2.00"))
    assert _by_key(entries)["t1"] == ("Created", None)
    with merchant.runtime.sessions() as session:
        amounts = sorted(t.amount for t in session.scalars(select(PaymentTransaction)))
    assert amounts == ["1.00", "2.00"]


PAN = "4111 1111 1111 1111"
PAN_DIGITS = "4111111111111111"


def _assert_no_pan(text: str) -> None:
    assert PAN not in text
    assert PAN_DIGITS not in text
    assert "4111-1111" not in text


def test_payments_info_rejects_raw_card_numbers_and_masks_them_everywhere(merchant: Merchant) -> None:
    content = (
        "PaymentInfoId,AccountId,PaymentMethod,Token,CardBrand,Last4,ExpiryDate,HolderName,BillingCountry\n"
        "pm-1,acc-1,Card,tok_abc,visa,1111,2027-09,Ann Smith,US\n"
        f"pm-2,acc-1,Card,{PAN},Visa,1111,2027-09,Ann Smith,US\n"
        f"{PAN_DIGITS},acc-1,Card,tok_def,Visa,1111,2027-09,Ann Smith,US\n"
        f'pm-4,acc-1,Card,tok_ghi,Visa,1111,2027-09,"Ann 4111-1111-1111-1111",US\n'
        f"pm-5,acc-1,{PAN_DIGITS},tok_jkl,Visa,1111,2027-09,Ann,US\n"
        "pm-6,acc-1,Card,tok_mno,Visa,11111,2027-13,Ann,usa\n"
        "pm-7,acc-1,BankAccount,tok_pqr,,,,,\n"
    )
    batch_id, entries = merchant.import_file("PaymentsInfo", content)
    assert entries["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 5}
    rows = {e["line"]: e for e in entries["entries"]}
    assert rows[2]["status"] == rows[8]["status"] == "Created"
    for line, column in ((3, "Token"), (4, "PaymentInfoId"), (5, "HolderName"), (6, "PaymentMethod")):
        assert rows[line]["status"] == "Failed"
        assert f"{column}: looks like a raw card number (" in rows[line]["error"]
        assert "1111" in rows[line]["error"]  # the last four digits help find it
    assert rows[4]["key"] == "************1111"
    assert "PaymentMethod: a value with a card-like number is not one of" in rows[6]["error"]
    problems = rows[7]["error"]
    assert "Last4: must be 4 digits" in problems
    assert "ExpiryDate: must be YYYY-MM" in problems
    assert "BillingCountry: must be an ISO 3166-1 alpha-2" in problems

    batch = merchant.batch(batch_id)
    result = merchant.result_csv(batch_id)
    stored = merchant.stored_copy(batch_id)
    for text in (str(entries), str(batch["messages"]), result, stored):
        _assert_no_pan(text)
    assert "**** **** **** 1111" in result
    assert "**** **** **** 1111" in stored
    assert "Ann ****-****-****-1111" in stored
    with merchant.runtime.sessions() as session:
        infos = {p.payment_info_id: p for p in session.scalars(select(PaymentInfo))}
    assert set(infos) == {"pm-1", "pm-7"}
    assert (infos["pm-1"].card_brand, infos["pm-1"].expiry, infos["pm-1"].token) == (
        "Visa",
        "2027-09",
        "tok_abc",
    )


def test_a_rejected_payments_info_file_is_kept_masked(merchant: Merchant) -> None:
    # An unclosed quote fails the whole file; the copy kept of it is masked too.
    rows = "".join(f"pm-{i},acc-1,Card,tok_{i}\n" for i in range(10_001))
    content = (
        f'PaymentInfoId,AccountId,PaymentMethod,Token\npm-x,acc-1,Card,{PAN}\n{rows}pm-y,acc-1,Card,"tok\n'
    )
    batch_id, entries = merchant.import_file("PaymentsInfo", content)
    assert entries["state"] == "Failed"
    assert entries["totalEntries"] == 1
    assert "unclosed quote" in entries["entries"][0]["error"] or "quote" in entries["entries"][0]["error"]
    stored = merchant.stored_copy(batch_id)
    _assert_no_pan(stored)
    assert "pm-x,acc-1,Card,**** **** **** 1111" in stored
    with merchant.runtime.sessions() as session:
        assert session.scalars(select(PaymentInfo)).all() == []


def test_transfer_transactions_need_two_different_accounts(merchant: Merchant) -> None:
    content = (
        "TransferId,SourceAccountId,DestinationAccountId,Type,Amount,Currency,Status,TransferDate\n"
        "tr-1,acc-1,acc-2,Payout,100,GBP,Completed,2026-11-24T10:00:00Z\n"
        "tr-2,acc-1,acc-1,Payout,100,GBP,Completed,2026-11-24T10:00:00Z\n"
        "tr-3,acc-1,acc-2,Gift,100,GBP,Completed,2026-11-24T10:00:00Z\n"
    )
    _, entries = merchant.import_file("TransferTransactions", content)
    rows = _by_key(entries)
    assert rows["tr-1"] == ("Created", None)
    assert rows["tr-2"] == ("Failed", "DestinationAccountId: must differ from SourceAccountId")
    assert "Type: 'Gift' is not one of Payout, TopUp" in str(rows["tr-3"][1])
    with merchant.runtime.sessions() as session:
        transfer = session.scalars(select(TransferTransaction)).one()
    assert (transfer.amount, transfer.amount_minor, transfer.destination_account_id) == (
        "100.00",
        10000,
        "acc-2",
    )


def test_transfer_payments_info_is_tokenized_only(merchant: Merchant) -> None:
    content = (
        "TransferPaymentInfoId,SourceAccountId,DestinationAccountId,PaymentMethod,Token,Currency,BeneficiaryName,BankCountry\n"
        "tpi-1,acc-1,acc-2,BankTransfer,btok_1,EUR,Bob,FR\n"
        "tpi-2,acc-1,acc-2,Card,5555555555554444,EUR,Bob,FR\n"
    )
    batch_id, entries = merchant.import_file("TransferPaymentsInfo", content)
    rows = _by_key(entries)
    assert rows["tpi-1"] == ("Created", None)
    assert rows["tpi-2"][0] == "Failed"
    assert "Token: looks like a raw card number" in str(rows["tpi-2"][1])
    assert "5555555555554444" not in merchant.result_csv(batch_id)


@pytest.mark.parametrize(
    ("name", "header"),
    [
        (
            "Transactions",
            "TransactionId,AccountId,Type,Amount,Currency,Status,TransactionDate,Reference,Description",
        ),
        (
            "PaymentsInfo",
            "PaymentInfoId,AccountId,PaymentMethod,Token,CardBrand,Last4,ExpiryDate,HolderName,BillingCountry",
        ),
        (
            "TransferTransactions",
            "TransferId,SourceAccountId,DestinationAccountId,Type,Amount,Currency,Status,TransferDate,"
            "Reference,Description",
        ),
        (
            "TransferPaymentsInfo",
            "TransferPaymentInfoId,SourceAccountId,DestinationAccountId,PaymentMethod,Token,Currency,"
            "BeneficiaryName,BankCountry",
        ),
    ],
)
def test_templates(app_client: TestClient, name: str, header: str) -> None:
    response = app_client.get(f"/api/v1/templates/{name}.csv")
    assert response.status_code == 200
    assert response.text == header + "\r\n"


def test_an_import_without_a_batch_fails_its_rows(merchant: Merchant) -> None:
    """The payment writers need the batch's company; an import forced to the type without one fails."""
    batch_id, _ = merchant.import_file(
        "Transactions", TX_HEADER + "t1,a,Sale,1,USD,Pending,2026-11-24T10:00:00Z,,\n"
    )
    with merchant.runtime.sessions() as session:
        batch = session.get(ImportBatch, batch_id)
        assert batch is not None
        job = session.get(ImportJob, batch.import_id)
        assert job is not None
        assert job.created_count == 1
