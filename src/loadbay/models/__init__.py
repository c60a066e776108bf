"""All ORM tables; Alembic imports this one module."""

from loadbay.models.base import Base, utcnow
from loadbay.models.files import Account, AccountGrant, StoredFile
from loadbay.models.idempotency import IdempotencyKey
from loadbay.models.imports import CANCELLED, FAILED, PENDING, PROCESSED, ImportJob, ImportMessage
from loadbay.models.oneroster import AcademicSession, Course, Demographic
from loadbay.models.payments import (
    Company,
    CompanyProject,
    ImportBatch,
    PaymentInfo,
    PaymentTransaction,
    TransferPaymentInfo,
    TransferTransaction,
)
from loadbay.models.rostering import (
    ROOT_ORGANIZATION,
    GroupMembership,
    OrgUnit,
    RosterGroup,
    RosterUser,
    TestSession,
)
from loadbay.models.tenancy import ApiClient, Tenant
from loadbay.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "CANCELLED",
    "FAILED",
    "PENDING",
    "PROCESSED",
    "ROOT_ORGANIZATION",
    "AcademicSession",
    "Account",
    "AccountGrant",
    "ApiClient",
    "Base",
    "Company",
    "CompanyProject",
    "Course",
    "Demographic",
    "GroupMembership",
    "IdempotencyKey",
    "ImportBatch",
    "ImportJob",
    "ImportMessage",
    "OrgUnit",
    "PaymentInfo",
    "PaymentTransaction",
    "RosterGroup",
    "RosterUser",
    "StoredFile",
    "Tenant",
    "TestSession",
    "TransferPaymentInfo",
    "TransferTransaction",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "utcnow",
]
