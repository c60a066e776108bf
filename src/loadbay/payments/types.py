"""The four seed-003 import types: Transactions, PaymentsInfo, TransferTransactions, TransferPaymentsInfo.

``PaymentsInfo`` and ``TransferPaymentsInfo`` hold tokenized payment records only: every one of
their columns rejects a cell holding a raw card number, and their ``mask`` hides such numbers
wherever a batch's cells are echoed (result file, stored copy, entries).
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from loadbay.importing.batch import BatchContext, Planned
from loadbay.importing.columns import Column, pattern
from loadbay.importing.registry import ImportType, register
from loadbay.models import PaymentInfo, PaymentTransaction, TransferPaymentInfo, TransferTransaction
from loadbay.payments.cards import mask_cards, no_card_number
from loadbay.payments.money import amount_check, currency_check
from loadbay.payments.records import RecordSpec, column, enum_check, timestamp_check, write_records

SCOPE = "payments"
ID = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$"
ID_PROBLEM = "must be letters, digits, '_', '.', ':' or '-', starting with a letter or digit"

TRANSACTION_TYPES = ("Sale", "Refund", "Authorization", "Capture", "Void", "Chargeback")
TRANSFER_TYPES = ("Payout", "TopUp", "Internal", "Fee", "Settlement")
STATUSES = ("Pending", "Completed", "Failed", "Reversed")
PAYMENT_METHODS = ("Card", "BankAccount", "Wallet")
TRANSFER_METHODS = ("BankTransfer", "Card", "Wallet")
CARD_BRANDS = ("Visa", "Mastercard", "Amex", "Discover", "JCB", "UnionPay", "DinersClub", "Maestro")


def _id(name: str, description: str, *, required: bool = True) -> Column:
    return column(name, description, required=required, checks=(pattern(ID, ID_PROBLEM),))


def _enum(name: str, values: tuple[str, ...], description: str, *, required: bool = True) -> Column:
    return column(
        name, f"{description}: {', '.join(values)}.", required=required, checks=(enum_check(values),)
    )


AMOUNT = column(
    "Amount",
    "Exact decimal, zero or more, a point for decimals, at most the currency's decimal places.",
    required=True,
    max_length=40,
    checks=(amount_check,),
)
CURRENCY = column(
    "Currency", "ISO 4217 code (USD, EUR, JPY...).", required=True, max_length=3, checks=(currency_check,)
)
REFERENCE = column("Reference", "The merchant's own reference (order number...).")
DESCRIPTION = column("Description", "Free text.", max_length=255)
COUNTRY = r"^[A-Z]{2}$"
COUNTRY_PROBLEM = "must be an ISO 3166-1 alpha-2 country code such as US or FR"


def _timestamp(name: str) -> Column:
    return column(
        name,
        "ISO 8601 date and time with a UTC offset or Z.",
        required=True,
        max_length=40,
        checks=(timestamp_check,),
    )


def _tokenized(columns: tuple[Column, ...]) -> tuple[Column, ...]:
    """Every column also refuses a raw card number."""
    return tuple(
        Column(c.name, c.required, c.description, c.max_length, (no_card_number, *c.checks)) for c in columns
    )


def _writer(spec: RecordSpec) -> Callable[[BatchContext, pl.DataFrame], Planned]:
    def write(context: BatchContext, frame: pl.DataFrame) -> Planned:
        return write_records(spec, context, frame)

    return write


TRANSACTION_COLUMNS = (
    _id("TransactionId", "The transaction's id; the key."),
    _id("AccountId", "The customer account charged or credited; cannot change."),
    _enum("Type", TRANSACTION_TYPES, "Cannot change"),
    AMOUNT,
    CURRENCY,
    _enum("Status", STATUSES, "Where the transaction stands"),
    _timestamp("TransactionDate"),
    REFERENCE,
    DESCRIPTION,
)
TRANSACTIONS_SPEC = RecordSpec(
    PaymentTransaction,
    {
        "TransactionId": "transaction_id",
        "AccountId": "account_id",
        "Type": "type",
        "Amount": "amount",
        "Currency": "currency",
        "Status": "status",
        "TransactionDate": "occurred_at",
        "Reference": "reference",
        "Description": "description",
    },
    enums={"Type": TRANSACTION_TYPES, "Status": STATUSES},
    immutable=("AccountId", "Type", "Amount", "Currency"),
)

PAYMENT_INFO_COLUMNS = _tokenized(
    (
        _id("PaymentInfoId", "The payment method record's id; the key."),
        _id("AccountId", "The customer account the method belongs to; cannot change."),
        _enum("PaymentMethod", PAYMENT_METHODS, "Kind of method"),
        column(
            "Token",
            "The payment processor's token for the method; never the card number.",
            required=True,
            max_length=255,
        ),
        _enum("CardBrand", CARD_BRANDS, "For cards", required=False),
        column(
            "Last4",
            "Last four digits of the card or account.",
            max_length=4,
            checks=(pattern(r"^\d{4}$", "must be 4 digits"),),
        ),
        column(
            "ExpiryDate",
            "Card expiry as YYYY-MM.",
            max_length=7,
            checks=(pattern(r"^\d{4}-(0[1-9]|1[0-2])$", "must be YYYY-MM, such as 2027-09"),),
        ),
        column("HolderName", "Name on the card or account.", max_length=255),
        column(
            "BillingCountry",
            "ISO 3166-1 alpha-2 code.",
            max_length=2,
            checks=(pattern(COUNTRY, COUNTRY_PROBLEM),),
        ),
    )
)
PAYMENT_INFO_SPEC = RecordSpec(
    PaymentInfo,
    {
        "PaymentInfoId": "payment_info_id",
        "AccountId": "account_id",
        "PaymentMethod": "payment_method",
        "Token": "token",
        "CardBrand": "card_brand",
        "Last4": "last4",
        "ExpiryDate": "expiry",
        "HolderName": "holder_name",
        "BillingCountry": "billing_country",
    },
    enums={"PaymentMethod": PAYMENT_METHODS, "CardBrand": CARD_BRANDS},
    immutable=("AccountId",),
)

TRANSFER_COLUMNS = (
    _id("TransferId", "The transfer's id; the key."),
    _id("SourceAccountId", "The account debited; cannot change."),
    _id("DestinationAccountId", "The account credited; differs from the source; cannot change."),
    _enum("Type", TRANSFER_TYPES, "Cannot change"),
    AMOUNT,
    CURRENCY,
    _enum("Status", STATUSES, "Where the transfer stands"),
    _timestamp("TransferDate"),
    REFERENCE,
    DESCRIPTION,
)
TRANSFERS_SPEC = RecordSpec(
    TransferTransaction,
    {
        "TransferId": "transfer_id",
        "SourceAccountId": "source_account_id",
        "DestinationAccountId": "destination_account_id",
        "Type": "type",
        "Amount": "amount",
        "Currency": "currency",
        "Status": "status",
        "TransferDate": "occurred_at",
        "Reference": "reference",
        "Description": "description",
    },
    enums={"Type": TRANSFER_TYPES, "Status": STATUSES},
    immutable=("SourceAccountId", "DestinationAccountId", "Type", "Amount", "Currency"),
    distinct_accounts=True,
)

TRANSFER_PAYMENT_INFO_COLUMNS = _tokenized(
    (
        _id("TransferPaymentInfoId", "The payout instruction's id; the key."),
        _id("SourceAccountId", "The account paying out; cannot change."),
        _id("DestinationAccountId", "The account paid; differs from the source; cannot change."),
        _enum("PaymentMethod", TRANSFER_METHODS, "How the destination is paid"),
        column(
            "Token",
            "The processor's token for the destination's bank account, card or wallet.",
            required=True,
            max_length=255,
        ),
        CURRENCY,
        column("BeneficiaryName", "Name of the account holder paid.", max_length=255),
        column(
            "BankCountry",
            "ISO 3166-1 alpha-2 code of the destination's bank.",
            max_length=2,
            checks=(pattern(COUNTRY, COUNTRY_PROBLEM),),
        ),
    )
)
TRANSFER_PAYMENT_INFO_SPEC = RecordSpec(
    TransferPaymentInfo,
    {
        "TransferPaymentInfoId": "transfer_payment_info_id",
        "SourceAccountId": "source_account_id",
        "DestinationAccountId": "destination_account_id",
        "PaymentMethod": "payment_method",
        "Token": "token",
        "Currency": "currency",
        "BeneficiaryName": "beneficiary_name",
        "BankCountry": "bank_country",
    },
    enums={"PaymentMethod": TRANSFER_METHODS},
    immutable=("SourceAccountId", "DestinationAccountId"),
    distinct_accounts=True,
)

TRANSACTIONS = register(
    ImportType(
        name="Transactions",
        description="Card and account transactions of a company's customers.",
        columns=TRANSACTION_COLUMNS,
        key_columns=("TransactionId",),
        writer=_writer(TRANSACTIONS_SPEC),
        scope=SCOPE,
    )
)
PAYMENTS_INFO = register(
    ImportType(
        name="PaymentsInfo",
        description="Tokenized payment methods of a company's customers.",
        columns=PAYMENT_INFO_COLUMNS,
        key_columns=("PaymentInfoId",),
        writer=_writer(PAYMENT_INFO_SPEC),
        scope=SCOPE,
        mask=mask_cards,
    )
)
TRANSFER_TRANSACTIONS = register(
    ImportType(
        name="TransferTransactions",
        description="Money moved between two accounts.",
        columns=TRANSFER_COLUMNS,
        key_columns=("TransferId",),
        writer=_writer(TRANSFERS_SPEC),
        scope=SCOPE,
    )
)
TRANSFER_PAYMENTS_INFO = register(
    ImportType(
        name="TransferPaymentsInfo",
        description="Tokenized instruments that transfers pay out to.",
        columns=TRANSFER_PAYMENT_INFO_COLUMNS,
        key_columns=("TransferPaymentInfoId",),
        writer=_writer(TRANSFER_PAYMENT_INFO_SPEC),
        scope=SCOPE,
        mask=mask_cards,
    )
)

TYPE_NAMES = (TRANSACTIONS.name, PAYMENTS_INFO.name, TRANSFER_TRANSACTIONS.name, TRANSFER_PAYMENTS_INFO.name)
