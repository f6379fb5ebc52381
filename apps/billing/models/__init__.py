"""Tables owned by the billing context, one module per topic. Fleets, users, drivers and trips are UUIDs, never
relations. Django finds the models here, so this module imports them all (the one re-export allowed: callers may
import a model from `apps.billing.models` or from its topic module)."""

from apps.billing.models.common import CURRENCY
from apps.billing.models.fares import FareRecord, Quote
from apps.billing.models.figures import RevenueDay
from apps.billing.models.invoices import Invoice, InvoiceCounter
from apps.billing.models.ledger import (
    DEBIT_NORMAL,
    NO_ID,
    Account,
    AccountKind,
    JournalTransaction,
    LedgerCheck,
    Posting,
)
from apps.billing.models.payouts import Payout
from apps.billing.models.tariffs import (
    BaseFare,
    CancellationFee,
    MinimumFare,
    PerKm,
    PerMinute,
    PerStop,
    Tariff,
    TariffComponent,
    TaxRate,
    TimeSurcharge,
    WaitingTime,
    ZoneSurcharge,
)
from apps.billing.models.topups import TopUp, UnappliedPayment

__all__ = [
    "CURRENCY",
    "DEBIT_NORMAL",
    "NO_ID",
    "Account",
    "AccountKind",
    "BaseFare",
    "CancellationFee",
    "FareRecord",
    "Invoice",
    "InvoiceCounter",
    "JournalTransaction",
    "LedgerCheck",
    "MinimumFare",
    "Payout",
    "PerKm",
    "PerMinute",
    "PerStop",
    "Posting",
    "Quote",
    "RevenueDay",
    "Tariff",
    "TariffComponent",
    "TaxRate",
    "TimeSurcharge",
    "TopUp",
    "UnappliedPayment",
    "WaitingTime",
    "ZoneSurcharge",
]
