"""A trip list's fares are read by SQL written once (logitrack.db.rows.RowsByKey): values as the database gives
them, so a field Django converts when reading it (JSON) is refused rather than given raw."""

import pytest

from apps.billing.models import Quote
from logitrack.db.rows import RowsByKey


def test_rows_by_key_refuse_fields_converted_when_read():
    with pytest.raises(ValueError, match="converted when read"):
        RowsByKey(Quote, "id", ("id", "facts"))
